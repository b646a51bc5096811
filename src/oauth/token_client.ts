/**
 * Requests to the token endpoint (RFC 6749 §3.2): one function for every grant, plus the two
 * grants authsome uses most (authorization code with PKCE, refresh).
 *
 * Failures are typed for the refresh classification of docs/contract.md §4:
 * - `EndpointUnreachableError` with `reason` exactly `connection timed out`,
 *   `connection refused`, `could not resolve host <host>`, `network error: <short>`,
 *   `HTTP <n> from token endpoint` (5xx, 429, and other statuses without an OAuth error), or
 *   `invalid response from token endpoint[: <what>]`;
 * - `OAuthProtocolError` when the body carries an OAuth `error` (HTTP 200 included);
 * - `InterruptedError` when `deps.signal` aborts (Ctrl-C).
 *
 * The debug log gets the URL and the request body with every secret masked, and on failure the
 * status and the full response body; never a successful response body.
 *
 * @module
 */
import type { Secret } from "../model/secret.ts";
import { checkLoggingFailures, postWithClient } from "./http.ts";
import { parseTokenResponse } from "./token_response.ts";
import type { ClientCredentials, OAuthDeps, TokenEndpointAuthMethod, TokenSet } from "./types.ts";

/** Default deadline of a token request (connection, headers and body). */
export const DEFAULT_TOKEN_TIMEOUT_MS = 30_000;

const ENDPOINT = "token endpoint";

/** One token endpoint request. */
export interface TokenRequest {
  url: string;
  /** The grant's fields (`grant_type`, ...), without client authentication. */
  params: Record<string, string>;
  client: ClientCredentials;
  /** Default: `client_secret_post` when the client has a secret, else `none`. */
  authMethod?: TokenEndpointAuthMethod;
  /** Send a JSON object instead of a form (some providers' device polls). */
  json?: boolean;
  /** Default {@linkcode DEFAULT_TOKEN_TIMEOUT_MS}. */
  timeoutMs?: number;
}

/** POSTs a grant to the token endpoint and parses the answer. */
export async function requestToken(deps: OAuthDeps, request: TokenRequest): Promise<TokenSet> {
  const response = await postWithClient(deps, {
    url: request.url,
    params: request.params,
    client: request.client,
    authMethod: request.authMethod,
    json: request.json,
    timeoutMs: request.timeoutMs ?? DEFAULT_TOKEN_TIMEOUT_MS,
    endpoint: ENDPOINT,
  });
  return checkLoggingFailures(
    deps,
    ENDPOINT,
    request.url,
    response,
    (r) => parseTokenResponse(r.status, r.contentType, r.text, ENDPOINT),
  );
}

/** Options shared by the grant helpers. */
interface GrantOptions {
  tokenUrl: string;
  client: ClientCredentials;
  authMethod?: TokenEndpointAuthMethod;
  json?: boolean;
  timeoutMs?: number;
}

/**
 * Exchanges an authorization code (RFC 6749 §4.1.3 with RFC 7636 §4.5): `grant_type`,
 * `code`, the same `redirect_uri` as the authorization request, and `code_verifier`.
 */
export function exchangeAuthorizationCode(
  deps: OAuthDeps,
  options: GrantOptions & { code: Secret; redirectUri: string; verifier: Secret },
): Promise<TokenSet> {
  return requestToken(deps, {
    url: options.tokenUrl,
    params: {
      grant_type: "authorization_code",
      code: options.code.reveal(),
      redirect_uri: options.redirectUri,
      code_verifier: options.verifier.reveal(),
    },
    client: options.client,
    authMethod: options.authMethod,
    json: options.json,
    timeoutMs: options.timeoutMs,
  });
}

/**
 * Refreshes an access token (RFC 6749 §6). `scope`, when given, must not exceed the original
 * grant. A response without `refresh_token` means: keep the stored one.
 */
export function refreshAccessToken(
  deps: OAuthDeps,
  options: GrantOptions & { refreshToken: Secret; scope?: string },
): Promise<TokenSet> {
  const params: Record<string, string> = {
    grant_type: "refresh_token",
    refresh_token: options.refreshToken.reveal(),
  };
  if (options.scope) params.scope = options.scope;
  return requestToken(deps, {
    url: options.tokenUrl,
    params,
    client: options.client,
    authMethod: options.authMethod,
    json: options.json,
    timeoutMs: options.timeoutMs,
  });
}
