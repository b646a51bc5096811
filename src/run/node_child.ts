/**
 * Node.js and proxies: Node ignores HTTP(S)_PROXY unless `NODE_USE_ENV_PROXY=1` is set, and
 * only 22.21+ and 24.5+ understand that variable. `run` sets it, and warns when the child is
 * `node`, since on older Node its requests bypass the proxy and get no credentials.
 *
 * @module
 */

/** The warning for a `node` child in proxy mode, or null for any other program. */
export function nodeProxyWarning(command: readonly string[]): string | null {
  const program = (command[0] ?? "").split(/[\\/]/).pop() ?? "";
  if (!/^node(js)?(\d+)?(\.exe)?$/i.test(program)) return null;
  return "Node.js uses HTTPS_PROXY only from version 22.21 / 24.5 (authsome sets " +
    "NODE_USE_ENV_PROXY=1 for those); older Node, such as 20, bypasses the proxy and its " +
    "requests get no credentials: upgrade Node, or use `authsome run --env -- node ...`";
}
