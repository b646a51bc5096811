/**
 * When a stored OAuth2 access token must be refreshed (CONTRACT §4): at or after
 * `expires_at - 300 s`. A record without `expires_at` is never refreshed; API keys never are.
 *
 * @module
 */
import type { Connection } from "../model/connection.ts";

/** The refresh window. Not configurable from the CLI (the seed page says so). */
export const REFRESH_WINDOW_MS = 300_000;

/** Whether `connection` needs a refresh at `nowMs`. Pure. */
export function needsRefresh(connection: Connection, nowMs: number): boolean {
  if (connection.authType !== "oauth2" || connection.expiresAt === null) return false;
  const expiresAt = Date.parse(connection.expiresAt);
  if (Number.isNaN(expiresAt)) return true;
  return nowMs >= expiresAt - REFRESH_WINDOW_MS;
}

/** Whether the stored access token is past its `expires_at`. */
export function isPastExpiry(connection: Connection, nowMs: number): boolean {
  if (connection.expiresAt === null) return false;
  const expiresAt = Date.parse(connection.expiresAt);
  return Number.isNaN(expiresAt) || nowMs >= expiresAt;
}
