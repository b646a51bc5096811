/**
 * Token revocation (RFC 7009), best effort: logout and revoke always delete locally, whatever
 * the provider says, so this never throws (except on Ctrl-C) and only reports the outcome.
 *
 * @module
 */
import { describeError, InterruptedError } from "../errors.ts";
import type { Secret } from "../model/secret.ts";
import { postWithClient } from "./http.ts";
import type { ClientCredentials, OAuthDeps, TokenEndpointAuthMethod } from "./types.ts";

/** Default deadline of a revocation request: short, the user is waiting on a local delete. */
export const DEFAULT_REVOKE_TIMEOUT_MS = 5_000;

/**
 * POSTs `token` and `token_type_hint` with client authentication to the revocation endpoint.
 *
 * Resolves `"revoked"` on any 2xx (RFC 7009 §2.2: 200 also for tokens the server does not
 * know; some servers answer 204), `"failed"` on anything else: an error status
 * (`unsupported_token_type`, 503, ...), a network error or a timeout. Each outcome is logged
 * at debug, without the token.
 *
 * @throws InterruptedError on Ctrl-C, and nothing else.
 */
export async function revokeToken(
  deps: OAuthDeps,
  options: {
    url: string;
    token: Secret;
    tokenTypeHint: "refresh_token" | "access_token";
    client: ClientCredentials;
    authMethod?: TokenEndpointAuthMethod;
    timeoutMs?: number;
  },
): Promise<"revoked" | "failed"> {
  const fields = { url: options.url, token_type_hint: options.tokenTypeHint };
  try {
    const response = await postWithClient(deps, {
      url: options.url,
      params: { token: options.token.reveal(), token_type_hint: options.tokenTypeHint },
      client: options.client,
      authMethod: options.authMethod,
      timeoutMs: options.timeoutMs ?? DEFAULT_REVOKE_TIMEOUT_MS,
      endpoint: "revocation endpoint",
    });
    if (response.status >= 200 && response.status <= 299) {
      deps.log.debug("token revoked", { ...fields, status: response.status });
      return "revoked";
    }
    deps.log.debug("token revocation failed", {
      ...fields,
      status: response.status,
      body: response.text.slice(0, 4096),
    });
    return "failed";
  } catch (error) {
    if (error instanceof InterruptedError) throw error;
    deps.log.debug("token revocation failed", { ...fields, error: describeError(error) });
    return "failed";
  }
}
