/**
 * Dynamic client registration for the `dcr_pkce` login (RFC 7591): the endpoint from the
 * definition or the discovered metadata, the authentication method to ask for, and the
 * optional initial access token (RFC 7591 §3).
 *
 * @module
 */
import { AuthenticationError } from "../errors.ts";
import type { OAuthClient } from "../model/connection.ts";
import type { OAuthProviderDefinition } from "../model/provider.ts";
import type { Secret } from "../model/secret.ts";
import { registerClient } from "../oauth/dcr.ts";
import { resolveTemplate } from "../providers/registry.ts";
import { AUTH_METHOD_FIELD, registrationAuthMethod } from "./client_auth.ts";
import type { AuthsomeContext } from "./context.ts";
import type { OAuthLoginUi } from "./login_oauth.ts";
import type { ServerInfo } from "./login_server.ts";
import { oauthDeps } from "./refresh.ts";

export async function registerDynamicClient(
  ctx: AuthsomeContext,
  definition: OAuthProviderDefinition,
  input: { baseUrl: string | null; scopes: string[]; signal?: AbortSignal },
  ui: Pick<OAuthLoginUi, "collectSecret">,
  server: ServerInfo,
  redirectUri: string,
): Promise<OAuthClient> {
  const deps = oauthDeps(ctx, input.signal);
  const configured = definition.oauth.registration_endpoint
    ? resolveTemplate(definition.oauth.registration_endpoint, input.baseUrl)
    : null;
  if (!configured && !server.metadata) throw server.discoveryError;
  const registrationEndpoint = configured ?? server.metadata?.registration_endpoint ?? null;
  if (!registrationEndpoint) {
    throw new AuthenticationError(
      `${definition.name} does not advertise a registration endpoint`,
      { hint: `authsome login ${definition.name} --flow pkce` },
    );
  }
  const registered = await registerClient(deps, {
    registrationEndpoint,
    redirectUris: [redirectUri],
    clientName: `authsome-${definition.name}`,
    scopes: input.scopes,
    authMethod: registrationAuthMethod(
      definition.oauth.token_endpoint_auth_method,
      server.metadata?.token_endpoint_auth_methods_supported,
    ),
    initialAccessToken: await initialAccessToken(definition, ui),
  });
  return {
    clientId: registered.clientId,
    clientSecret: registered.clientSecret,
    source: "dcr",
    registration: { ...registered.registration, [AUTH_METHOD_FIELD]: registered.authMethod },
    // Kept (inside the encrypted vault) for RFC 7592 client management.
    extra: registered.registrationAccessToken
      ? { registration_access_token: registered.registrationAccessToken.reveal() }
      : {},
  };
}

/**
 * The RFC 7591 §3 initial access token, when the definition names its environment variable:
 * read from that variable, else asked for at a hidden prompt (never from argv).
 */
async function initialAccessToken(
  definition: OAuthProviderDefinition,
  ui: Pick<OAuthLoginUi, "collectSecret">,
): Promise<Secret | undefined> {
  const envVar = definition.oauth.registration_token_env;
  if (!envVar) return undefined;
  const token = await ui.collectSecret({
    provider: definition.name,
    displayName: definition.display_name,
    label: "initial access token for client registration",
    envVar,
    docs: definition.docs ?? undefined,
  });
  if (token.isEmpty) {
    throw new AuthenticationError(
      `an initial access token is required to register with ${definition.name}`,
      {
        hint: `export ${envVar}=<initial access token>`,
      },
    );
  }
  return token;
}
