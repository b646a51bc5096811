/**
 * Token access: every path that hands out a credential (`get`, `export`, `run`, the daemon,
 * the library) goes through {@linkcode accessConnection}, which applies the refresh rule first
 * (through `handOutCredential` in `hand_out.ts`, the one use case that hands credentials out).
 *
 * @module
 */
import type { RefreshError } from "../errors.ts";
import type { Connection } from "../model/connection.ts";
import type { AuthsomeContext } from "./context.ts";
import { loadConnection } from "./connections.ts";
import { needsRefresh } from "./refresh_rule.ts";

/** What an access call returns. */
export interface AccessResult {
  connection: Connection;
  /** Set when a refresh failed but a value may still be shown (`get --field status`). */
  refreshError?: RefreshError;
  /** Set when a refresh failed but the stored token is still valid (printed as a warning). */
  warning?: string;
}

/**
 * Loads a connection and applies the refresh rule. With `tolerateRefreshFailure`, a failed
 * refresh is returned in `refreshError` instead of thrown (for non-secret `--field` reads).
 */
export async function accessConnection(
  ctx: AuthsomeContext,
  provider: string,
  options: { connection?: string; tolerateRefreshFailure?: boolean; signal?: AbortSignal },
): Promise<AccessResult> {
  const snapshot = await ctx.vault.read();
  const connection = await loadConnection(snapshot, ctx.profile, provider, options.connection);
  if (connection.status === "connected" && !needsRefresh(connection, ctx.platform.clock.now())) {
    return { connection };
  }
  // Only now load the OAuth code and the provider registry: the common case above never does.
  const { refreshConnection, ConnectionRefreshError, recoveryHint, refreshFailedMessage } =
    await import("./refresh.ts");
  try {
    if (connection.status === "invalid") {
      const reason = connection.lastRefreshError ?? "invalid_grant";
      throw new ConnectionRefreshError(
        refreshFailedMessage(connection, reason),
        connection,
        recoveryHint(connection, reason),
      );
    }
    // API keys never refresh.
    if (connection.authType !== "oauth2") return { connection };
    const definition = (await ctx.providers()).get(provider);
    const outcome = await refreshConnection(ctx, definition, connection, {
      signal: options.signal,
    });
    return { connection: outcome.connection, warning: outcome.warning };
  } catch (error) {
    if (options.tolerateRefreshFailure && error instanceof ConnectionRefreshError) {
      return { connection: error.connection, refreshError: error };
    }
    throw error;
  }
}
