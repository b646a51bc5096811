/**
 * `AUTHSOME_PROXY_MODE=true`: the variable the Python authsome set in every `authsome run`
 * child, and that its agent instructions tell agents to check ("already behind the proxy: call
 * APIs directly, do not wrap commands in `authsome run` again"). This authsome sets it the same
 * way, and a nested `authsome run` inside such a session reuses the outer proxy instead of
 * stacking a second one.
 *
 * @module
 */

/** The variable's name. */
export const PROXY_MODE_VARIABLE = "AUTHSOME_PROXY_MODE";

/** Its value in a proxy session (the predecessor's literal `true`). */
export const PROXY_MODE_ON = "true";

/** Whether this process runs inside an `authsome run` proxy session. */
export function insideProxySession(env: (name: string) => string | undefined): boolean {
  const value = env(PROXY_MODE_VARIABLE)?.trim().toLowerCase();
  const proxied = !!(env("HTTPS_PROXY") ?? env("https_proxy"));
  return proxied && (value === "true" || value === "1");
}
