/**
 * The rule every OAuth endpoint URL obeys, whether it comes from a provider definition,
 * `--base-url`, a stored connection or a metadata document: https, or http on a loopback host
 * (`127.0.0.1`, `localhost`, `[::1]`) so that local test servers work. Client secrets, codes
 * and tokens are never sent in the clear over a network.
 *
 * @module
 */

import { LOOPBACK_HOSTS } from "../model/provider.ts";

/** The rule, for messages. */
export const HTTPS_RULE = "https is required (http only for 127.0.0.1, localhost and [::1])";

/** Whether `url` is an absolute https URL, or an http URL on a loopback host. Pure. */
function isAllowedEndpointUrl(url: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  if (parsed.protocol === "https:") return true;
  return parsed.protocol === "http:" && LOOPBACK_HOSTS.has(parsed.hostname);
}

/**
 * Why `url` may not be used, or null when it may: `<what> <origin>: https is required (...)`.
 * Only the scheme, host and port are shown (a path may hold a tenant id, never a secret, but
 * there is no need to print it).
 */
export function endpointUrlProblem(url: string, what: string): string | null {
  if (isAllowedEndpointUrl(url)) return null;
  let shown = "(not a URL)";
  try {
    const parsed = new URL(url);
    shown = `${parsed.protocol}//${parsed.host}`;
  } catch {
    // shown stays "(not a URL)"
  }
  return `${what} ${shown}: ${HTTPS_RULE}`;
}
