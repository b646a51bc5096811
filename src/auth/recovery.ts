/**
 * The command that brings a connection back, for `doctor`, `whoami` and `list`. One line a user
 * can paste, aimed at the one connection (`--connection` / `--profile` when not `default`), so
 * fixing one connection never costs the others.
 *
 * @module
 */
import type { Connection } from "../model/connection.ts";
import { getCommand, loginCommand, loginFlagsFor } from "./connections.ts";

/**
 * Rejections that condemn the stored OAuth client, which every connection of the provider
 * shares: `login --force` would reuse it, so only clearing it (`revoke`) and logging in helps.
 */
export const CLIENT_ERRORS: ReadonlySet<string> = new Set([
  "invalid_client",
  "unauthorized_client",
]);

/** `authsome get <provider> [--connection c] [--profile p] --field status`: retries a refresh. */
export function statusCommand(connection: Connection): string {
  return `${getCommand(connection)} --field status`;
}

/** The one-line fix for a connection that is not `connected`; null when it is. */
export function fixCommand(connection: Connection): string | null {
  if (connection.status === "connected") return null;
  const { provider } = connection;
  const flags = loginFlagsFor(connection);
  const reason = connection.lastRefreshError ?? "";
  if (connection.status === "invalid" && CLIENT_ERRORS.has(reason)) {
    const profile = flags.profile === undefined ? "" : ` --profile ${flags.profile}`;
    return `authsome revoke ${provider}${profile} && ${loginCommand(provider, flags)}`;
  }
  // An expired connection retries its refresh on the next access, unless there is nothing to
  // refresh with ("no refresh token stored", "no OAuth client stored").
  if (connection.status === "expired" && !reason.startsWith("no ")) {
    return statusCommand(connection);
  }
  return loginCommand(provider, { ...flags, force: true });
}
