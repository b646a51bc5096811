/**
 * The authorization request URL (RFC 6749 §4.1.1 with PKCE, RFC 7636 §4.3).
 *
 * @module
 */

/** What goes into the authorization URL. */
export interface AuthorizationUrlOptions {
  /** The provider's authorization endpoint; its own query parameters are kept. */
  authorizationUrl: string;
  clientId: string;
  redirectUri: string;
  /** Joined with spaces; the parameter is left out when empty. */
  scopes: readonly string[];
  state: string;
  /** The S256 challenge of the verifier. */
  challenge: string;
  /**
   * Provider extras (`access_type=offline`, `prompt=consent`, `resource`, ...). They cannot
   * replace the parameters above, so a provider definition can never weaken state or PKCE.
   */
  extraParams?: Record<string, string>;
}

const RESERVED = new Set([
  "response_type",
  "client_id",
  "redirect_uri",
  "scope",
  "state",
  "code_challenge",
  "code_challenge_method",
]);

/** Percent-encoding for a query component (`%20` for spaces: every server decodes that). */
function encode(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/**
 * Builds `authorizationUrl?<its params>&response_type=code&client_id&redirect_uri&scope&state
 * &code_challenge&code_challenge_method=S256&<extras>`. A base-URL parameter with a reserved
 * name or an extra's name is replaced by that value; the fragment is dropped.
 *
 * @throws TypeError when `authorizationUrl` is not an absolute URL.
 */
export function buildAuthorizationUrl(options: AuthorizationUrlOptions): string {
  const url = new URL(options.authorizationUrl);
  const extras = Object.entries(options.extraParams ?? {}).filter(([key]) => !RESERVED.has(key));
  const replaced = new Set([...RESERVED, ...extras.map(([key]) => key)]);
  const pairs: [string, string][] = [];
  for (const [key, value] of url.searchParams) {
    if (!replaced.has(key)) pairs.push([key, value]);
  }
  pairs.push(["response_type", "code"], ["client_id", options.clientId]);
  pairs.push(["redirect_uri", options.redirectUri]);
  const scope = options.scopes.map((s) => s.trim()).filter(Boolean).join(" ");
  if (scope) pairs.push(["scope", scope]);
  pairs.push(["state", options.state], ["code_challenge", options.challenge]);
  pairs.push(["code_challenge_method", "S256"]);
  pairs.push(...extras);
  url.hash = "";
  url.search = pairs.map(([k, v]) => `${encode(k)}=${encode(v)}`).join("&");
  return url.toString();
}
