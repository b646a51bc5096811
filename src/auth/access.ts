/**
 * Token access: every path that hands out a credential (`get`, `export`, `run`, the daemon,
 * the library) goes through {@linkcode accessConnection}, which applies the refresh rule first.
 *
 * @module
 */
import { RefreshError } from "../errors.ts";
import type { Connection } from "../model/connection.ts";
import type { AuthsomeContext } from "./context.ts";
import { requireConnection, resolveConnectionName } from "./connections.ts";
import { needsRefresh } from "./refresh_rule.ts";

/**
 * Refreshes a connection whose token is inside the refresh window. Provided by the OAuth
 * layer; returns the connection to hand out (refreshed, or still valid with a warning).
 */
export type Refresher = (ctx: AuthsomeContext, connection: Connection) => Promise<Connection>;

/** What an access call returns. */
export interface AccessResult {
  connection: Connection;
  /** Set when a refresh failed but a value may still be shown (`get --field status`). */
  refreshError?: RefreshError;
}

/** The recovery hint for a connection the provider rejected. */
export function invalidConnectionHint(provider: string): string {
  return `authsome revoke ${provider} && authsome login ${provider}` +
    `   (or: authsome login ${provider} --force)`;
}

/**
 * Loads a connection and applies the refresh rule. With `tolerateRefreshFailure`, a failed
 * refresh is returned in `refreshError` instead of thrown (for non-secret `--field` reads).
 */
export async function accessConnection(
  ctx: AuthsomeContext,
  provider: string,
  options: { connection?: string; tolerateRefreshFailure?: boolean; refresher?: Refresher },
): Promise<AccessResult> {
  const snapshot = await ctx.vault.read();
  const name = await resolveConnectionName(snapshot, ctx.profile, provider, options.connection);
  const connection = await requireConnection(snapshot, ctx.profile, provider, name);
  try {
    if (connection.status === "invalid") {
      throw new RefreshError(
        `refresh failed for ${provider} (${name}): ${connection.lastRefreshError ?? "invalid"}`,
        { hint: invalidConnectionHint(provider) },
      );
    }
    if (!needsRefresh(connection, ctx.platform.clock.now())) return { connection };
    if (!options.refresher) {
      throw new RefreshError(
        `refresh failed for ${provider} (${name}): this build cannot refresh OAuth2 tokens`,
        { hint: `authsome login ${provider} --force` },
      );
    }
    return { connection: await options.refresher(ctx, connection) };
  } catch (error) {
    if (options.tolerateRefreshFailure && error instanceof RefreshError) {
      return { connection, refreshError: error };
    }
    throw error;
  }
}
