/**
 * The default connection of a provider: which connection `get`, `export` and `run` use when no
 * `--connection` is given (docs/contract.md §3 provider metadata `default_connection`).
 *
 * @module
 */
import { CredentialMissingError } from "../errors.ts";
import {
  checkName,
  type Connection,
  providerStateFromData,
  providerStateToData,
  RecordId,
} from "../model/connection.ts";
import type { AuthsomeContext } from "./context.ts";
import { findConnection, listConnections, loginCommand } from "./connections.ts";

/** A connection and whether it is its provider's default. */
export interface ListedConnection {
  connection: Connection;
  isDefault: boolean;
}

/** Every connection of the profile (or of one provider), each marked default or not. */
export async function listWithDefaults(
  ctx: AuthsomeContext,
  provider?: string,
): Promise<ListedConnection[]> {
  if (provider !== undefined) (await ctx.providers()).get(provider);
  const snapshot = await ctx.vault.read();
  const connections = await listConnections(snapshot, ctx.profile, provider);
  const defaults = new Map<string, string>();
  for (const name of new Set(connections.map((c) => c.provider))) {
    const state = providerStateFromData(
      await snapshot.get(RecordId.providerState(ctx.profile, name)),
    );
    defaults.set(name, state.defaultConnection);
  }
  return connections.map((connection) => ({
    connection,
    isDefault: defaults.get(connection.provider) === connection.connectionName,
  }));
}

/**
 * Makes `name` the default connection of `provider`. Returns the previous default. The
 * connection must exist.
 */
export async function setDefaultConnection(
  ctx: AuthsomeContext,
  provider: string,
  name: string,
): Promise<{ previous: string; changed: boolean }> {
  (await ctx.providers()).get(provider);
  checkName("connection", name);
  return await ctx.vault.update(async (tx) => {
    if (!(await findConnection(tx, ctx.profile, provider, name))) {
      const others = (await listConnections(tx, ctx.profile, provider)).map((c) =>
        c.connectionName
      );
      throw new CredentialMissingError(
        `no connection "${name}" for ${provider} in profile "${ctx.profile}"` +
          (others.length ? ` (it has: ${others.join(", ")})` : ""),
        {
          hint: others.length
            ? `authsome connection list ${provider}`
            : loginCommand(provider, { connection: name }),
        },
      );
    }
    const id = RecordId.providerState(ctx.profile, provider);
    const stored = await tx.get(id);
    const state = providerStateFromData(stored);
    const previous = state.defaultConnection;
    if (previous === name && stored !== null) return { previous, changed: false };
    state.defaultConnection = name;
    tx.put(id, providerStateToData(state));
    return { previous, changed: previous !== name };
  });
}
