/**
 * Token endpoint responses (RFC 6749 §5.1, §5.2) as servers really send them: JSON or
 * form-encoded (GitHub without `Accept`), errors with HTTP 200 (GitHub, Slack) and
 * `expires_in` as a number or a digit string (Azure AD v1).
 *
 * @module
 */
import { Secret } from "../model/secret.ts";
import { checkOAuthResponse, cleanServerText, nonSecretFields, parseSeconds } from "./http.ts";
import { EndpointUnreachableError, type TokenSet } from "./types.ts";

/** Fields of a token response that {@linkcode TokenSet} holds itself (or drops: `id_token`). */
const KNOWN_FIELDS = new Set([
  "access_token",
  "refresh_token",
  "token_type",
  "expires_in",
  "scope",
  "id_token",
]);

/**
 * Access token types (IANA "OAuth Access Token Types", and the MAC draft) that cannot be used as
 * a Bearer token: DPoP and PoP tokens need a proof authsome cannot make, `N_A` (RFC 8693) is not
 * an access token at all. A response with one of these is refused rather than stored.
 */
const UNUSABLE_TOKEN_TYPES = new Set(["dpop", "n_a", "pop", "mac"]);

/**
 * Whether authsome can use a token of this `token_type`: absent (treated as Bearer), `Bearer`
 * in any case, or a provider's own name for a bearer token (Slack's `bot` and `user`). Pure.
 */
function isUsableTokenType(tokenType: string | null): boolean {
  return tokenType === null || !UNUSABLE_TOKEN_TYPES.has(tokenType.toLowerCase());
}

/**
 * Parses a token endpoint response into a {@linkcode TokenSet}.
 *
 * Order of checks:
 * 1. HTTP 5xx or 429: `EndpointUnreachableError("HTTP <n> from token endpoint")`;
 * 2. an `error` in the body, whatever the status (HTTP 200 included): `OAuthProtocolError`
 *    with the normalised code (`bad_refresh_token`, `bad_verification_code` →
 *    `invalid_grant`; `incorrect_client_credentials` → `invalid_client`);
 * 3. any other non-2xx status without an OAuth error: `EndpointUnreachableError("HTTP <n>
 *    from token endpoint")`. A bare 400/401/404 does not prove the grant is dead, so it is
 *    never a rejection (the connection is not made `invalid` on it);
 * 4. a 2xx body that is not a token response (not JSON or form, no `access_token`, bad
 *    `expires_in`): `EndpointUnreachableError("invalid response from token endpoint...")`.
 *
 * `token_type` is kept as sent (compare it case-insensitively); a proof-of-possession type
 * (`DPoP`, `PoP`, `MAC`) or `N_A` is refused with `EndpointUnreachableError("unsupported
 * token_type ...")`: authsome sends every access token as `Bearer`; `scope` is kept as sent (an
 * array of strings is joined with spaces); `extra` keeps the other fields minus anything
 * secret-named (`id_token`, nested tokens such as Slack's `authed_user.access_token`).
 */
export function parseTokenResponse(
  status: number,
  contentType: string | null,
  body: string,
  endpoint = "token endpoint",
): TokenSet {
  const record = checkOAuthResponse(status, contentType, body, endpoint);
  return tokenSetFromRecord(record, endpoint);
}

/** Builds a {@linkcode TokenSet} from a successful response body (already error-checked). */
export function tokenSetFromRecord(
  record: Record<string, unknown>,
  endpoint = "token endpoint",
): TokenSet {
  const invalid = (what: string) =>
    new EndpointUnreachableError(`invalid response from ${endpoint}: ${what}`);
  const accessToken = record.access_token;
  if (typeof accessToken !== "string" || accessToken.length === 0) throw invalid("no access_token");
  const refreshToken = record.refresh_token;
  let expiresIn: number | null = null;
  if (record.expires_in !== undefined && record.expires_in !== null && record.expires_in !== "") {
    const seconds = parseSeconds(record.expires_in);
    if (seconds === undefined) throw invalid("expires_in is not a number of seconds");
    expiresIn = seconds;
  }
  const tokenType = typeof record.token_type === "string" && record.token_type.length > 0
    ? record.token_type
    : null;
  if (!isUsableTokenType(tokenType)) {
    throw new EndpointUnreachableError(
      `unsupported token_type "${cleanServerText(tokenType!, 40)}" from ${endpoint}: ` +
        "authsome can only use Bearer tokens",
    );
  }
  let scope: string | null = null;
  if (typeof record.scope === "string") scope = record.scope;
  else if (Array.isArray(record.scope) && record.scope.every((s) => typeof s === "string")) {
    scope = record.scope.join(" ");
  }
  return {
    accessToken: new Secret(accessToken),
    refreshToken: typeof refreshToken === "string" && refreshToken.length > 0
      ? new Secret(refreshToken)
      : null,
    tokenType,
    expiresIn,
    scope,
    extra: nonSecretFields(record, KNOWN_FIELDS),
  };
}
