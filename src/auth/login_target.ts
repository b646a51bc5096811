/**
 * Where a login writes: the connection name it means (explicit, else the provider's default)
 * and what is stored there now. The `login` command reads it once to decide between "already
 * logged in" and a flow, and hands it to the flow, so a login reads the vault once before the
 * write (on a vault of 10,000 connections each read costs several milliseconds).
 *
 * @module
 */
import type { Connection } from "../model/connection.ts";
import type { VaultSnapshot } from "../vault/vault.ts";
import type { AuthsomeContext } from "./context.ts";
import { findConnection, resolveConnectionName } from "./connections.ts";

/** The connection a login is for, as the vault held it when read. */
export interface LoginTarget {
  snapshot: VaultSnapshot;
  /** The connection name the login writes. */
  name: string;
  /** The connection stored under that name, if any. */
  existing: Connection | null;
}

/** Reads the vault and finds where a login for `provider` goes. */
export async function findLoginTarget(
  ctx: AuthsomeContext,
  provider: string,
  connection: string | undefined,
): Promise<LoginTarget> {
  const snapshot = await ctx.vault.read();
  const name = await resolveConnectionName(snapshot, ctx.profile, provider, connection);
  const existing = await findConnection(snapshot, ctx.profile, provider, name);
  return { snapshot, name, existing };
}
