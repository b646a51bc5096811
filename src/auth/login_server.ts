/**
 * What a browser login learns about the authorization server before it starts: its metadata
 * (RFC 8414 / OIDC discovery), the issuer the callback's `iss` must name (RFC 9207), and from
 * them the client authentication method to use (see `client_auth.ts`).
 *
 * @module
 */
import { describeError, InterruptedError } from "../errors.ts";
import type { OAuthClient } from "../model/connection.ts";
import type { OAuthProviderDefinition } from "../model/provider.ts";
import { type AuthorizationServerMetadata, discoverServerMetadata } from "../oauth/discovery.ts";
import { resolveTemplate } from "../providers/registry.ts";
import { AUTH_METHOD_FIELD, chooseAuthMethod } from "./client_auth.ts";
import type { AuthsomeContext } from "./context.ts";
import { oauthDeps } from "./refresh.ts";

/** What is known about the authorization server before the flow starts. */
export interface ServerInfo {
  /** Its metadata (RFC 8414), when discovery found it. */
  metadata: AuthorizationServerMetadata | null;
  /** Why discovery found nothing (rethrown when DCR needs the registration endpoint). */
  discoveryError: unknown;
  /** The issuer the callback's `iss` must equal: the metadata's, else `oauth.issuer`. */
  issuer: string | null;
}

/**
 * Discovers the server's metadata for the browser flows: from `oauth.issuer` when the
 * definition names it (an issuer with a path: RFC 8414 §3.1 insertion, then OIDC appending),
 * else from the authorization URL's origin. Best effort: a server without metadata still logs
 * in, with the definition's endpoints and no RFC 9207 requirement.
 */
export async function serverMetadata(
  ctx: AuthsomeContext,
  definition: OAuthProviderDefinition,
  input: { baseUrl: string | null; signal?: AbortSignal },
  authorizationUrl: string,
): Promise<ServerInfo> {
  const configured = definition.oauth.issuer
    ? resolveTemplate(definition.oauth.issuer, input.baseUrl)
    : null;
  const from = configured ?? new URL(authorizationUrl).origin;
  try {
    const metadata = await discoverServerMetadata(oauthDeps(ctx, input.signal), from);
    return { metadata, discoveryError: null, issuer: metadata.issuer };
  } catch (error) {
    if (error instanceof InterruptedError) throw error;
    ctx.log.debug("no authorization server metadata; using the provider definition", {
      provider: definition.name,
      error: describeError(error),
    });
    return { metadata: null, discoveryError: error, issuer: configured };
  }
}

/** The client with the token endpoint authentication method for it (stored with it). */
export function withAuthMethod(
  definition: OAuthProviderDefinition,
  client: OAuthClient,
  metadata: AuthorizationServerMetadata | null,
): OAuthClient {
  const method = chooseAuthMethod({
    provider: definition.name,
    hasSecret: client.clientSecret !== null && !client.clientSecret.isEmpty,
    configured: definition.oauth.token_endpoint_auth_method,
    registered: client.source === "dcr"
      ? String(client.registration?.[AUTH_METHOD_FIELD] ?? "none")
      : null,
    metadata: metadata ? { supported: metadata.token_endpoint_auth_methods_supported } : null,
  });
  return { ...client, extra: { ...client.extra, [AUTH_METHOD_FIELD]: method } };
}
