/**
 * When a stored OAuth2 access token must be refreshed (docs/contract.md §4): at or after
 * `expires_at - 300 s`. A record without `expires_at` is never refreshed; API keys never are.
 *
 * Short-lived tokens (lifetime `expires_at - obtained_at` of 300 s or less) would be inside the
 * 300 s window from the moment they are issued, so every access call would refresh them. For
 * those the window is half the lifetime instead: a 60 s token is refreshed once 30 s are left.
 *
 * @module
 */
import type { Connection } from "../model/connection.ts";

/** The refresh window. Not configurable from the CLI (the seed page says so). */
export const REFRESH_WINDOW_MS = 300_000;

/**
 * The window for one token: {@linkcode REFRESH_WINDOW_MS}, or half the token's lifetime when
 * that lifetime is known and no longer than the window. Pure.
 */
function refreshWindowMs(connection: Connection, expiresAtMs: number): number {
  if (connection.obtainedAt === null) return REFRESH_WINDOW_MS;
  const obtainedAt = Date.parse(connection.obtainedAt);
  if (Number.isNaN(obtainedAt)) return REFRESH_WINDOW_MS;
  const lifetime = expiresAtMs - obtainedAt;
  if (lifetime <= 0 || lifetime > REFRESH_WINDOW_MS) return REFRESH_WINDOW_MS;
  return lifetime / 2;
}

/** Whether `connection` needs a refresh at `nowMs`. Pure. */
export function needsRefresh(connection: Connection, nowMs: number): boolean {
  if (connection.authType !== "oauth2" || connection.expiresAt === null) return false;
  const expiresAt = Date.parse(connection.expiresAt);
  if (Number.isNaN(expiresAt)) return true;
  return nowMs >= expiresAt - refreshWindowMs(connection, expiresAt);
}

/** Whether the stored access token is past its `expires_at`. */
export function isPastExpiry(connection: Connection, nowMs: number): boolean {
  if (connection.expiresAt === null) return false;
  const expiresAt = Date.parse(connection.expiresAt);
  return Number.isNaN(expiresAt) || nowMs >= expiresAt;
}
