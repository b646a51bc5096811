/**
 * Node.js and proxies: Node ignores HTTP(S)_PROXY unless `NODE_USE_ENV_PROXY=1` is set, and
 * only 22.21+ and 24.5+ understand that variable. `run` sets it, and warns when the child is a
 * `node` that does not understand it (or whose version cannot be told), since its requests then
 * bypass the proxy and get no credentials.
 *
 * @module
 */

/** Whether `command` runs Node.js itself (`node`, `/usr/bin/node`, `nodejs`, `node.exe`). */
export function isNodeProgram(command: readonly string[]): boolean {
  const program = (command[0] ?? "").split(/[\\/]/).pop() ?? "";
  return /^node(js)?(\d+)?(\.exe)?$/i.test(program);
}

/** Whether a `node --version` output (`v22.21.0`) names a Node that honours HTTPS_PROXY. */
export function nodeHonoursProxyVariables(version: string): boolean {
  const match = /^v?(\d+)\.(\d+)/.exec(version.trim());
  if (!match) return false;
  const [major, minor] = [Number(match[1]), Number(match[2])];
  return major >= 25 || (major === 24 && minor >= 5) || (major === 22 && minor >= 21);
}

/**
 * The warning for a `node` child in proxy mode: null for any other program and for a Node that
 * uses the proxy; `version` is its `node --version` output, or null when it could not be run.
 */
export function nodeProxyWarning(
  command: readonly string[],
  version: string | null,
): string | null {
  if (!isNodeProgram(command)) return null;
  if (version !== null && nodeHonoursProxyVariables(version)) return null;
  const which = version === null
    ? "this Node.js version could not be told"
    : `Node.js ${version.trim()} ignores HTTPS_PROXY`;
  return `${which}: Node uses the proxy only from version 22.21 / 24.5 (authsome sets ` +
    "NODE_USE_ENV_PROXY=1 for those), so older Node's requests bypass it and get no " +
    "credentials: upgrade Node, or use `authsome run --env -- node ...`";
}
