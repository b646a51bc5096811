/**
 * Ending connections: `logout` (one connection), `revoke` (every connection and the client
 * config of a provider) and `remove` (revoke, then delete a custom definition).
 *
 * Remote revocation (RFC 7009) is best effort and never blocks the local delete; it is done by
 * an injected revoker so the OAuth layer can supply it.
 *
 * @module
 */
import { CredentialMissingError } from "../errors.ts";
import { type Connection, RecordId } from "../model/connection.ts";
import type { ProviderDefinition } from "../model/provider.ts";
import type { AuthsomeContext } from "./context.ts";
import {
  deleteConnection,
  findConnection,
  listConnections,
  resolveConnectionName,
} from "./connections.ts";

/** What happened at the provider. */
export type RemoteOutcome = "revoked" | "failed" | "not_supported";

/** Revokes a connection's tokens at the provider; never throws. */
export type Revoker = (
  ctx: AuthsomeContext,
  definition: ProviderDefinition,
  connection: Connection,
) => Promise<RemoteOutcome>;

const noRemote: Revoker = () => Promise.resolve("not_supported");

/** Outcome of a logout. */
export interface LogoutResult {
  provider: string;
  connection: string;
  remote: RemoteOutcome;
}

/** Deletes one connection (after best-effort remote revocation). */
export async function logout(
  ctx: AuthsomeContext,
  definition: ProviderDefinition,
  options: { connection?: string; revoker?: Revoker },
): Promise<LogoutResult> {
  const provider = definition.name;
  const snapshot = await ctx.vault.read();
  const name = await resolveConnectionName(snapshot, ctx.profile, provider, options.connection);
  const existing = await findConnection(snapshot, ctx.profile, provider, name);
  if (!existing) {
    throw new CredentialMissingError(`no connection "${name}" for ${provider} to log out of`, {
      hint: `authsome list`,
    });
  }
  const remote = await (options.revoker ?? noRemote)(ctx, definition, existing);
  await ctx.vault.update((tx) => deleteConnection(tx, ctx.profile, provider, name));
  await ctx.audit.append({
    event: "logout",
    provider,
    connection: name,
    status: "success",
    remote,
  });
  return { provider, connection: name, remote };
}

/** Outcome of a revoke. */
export interface RevokeResult {
  provider: string;
  connections: { connection: string; remote: RemoteOutcome }[];
  clientRemoved: boolean;
}

/** Deletes every connection, the client config and the state of a provider. */
export async function revokeProvider(
  ctx: AuthsomeContext,
  definition: ProviderDefinition,
  options: { revoker?: Revoker; event?: "revoke" | "remove" } = {},
): Promise<RevokeResult> {
  const provider = definition.name;
  const snapshot = await ctx.vault.read();
  const connections = await listConnections(snapshot, ctx.profile, provider);
  const outcomes: RevokeResult["connections"] = [];
  for (const connection of connections) {
    outcomes.push({
      connection: connection.connectionName,
      remote: await (options.revoker ?? noRemote)(ctx, definition, connection),
    });
  }
  const clientRemoved = await ctx.vault.update(async (tx) => {
    for (const id of (await tx.list(RecordId.connectionsOf(ctx.profile, provider))).keys()) {
      tx.delete(id);
    }
    const clientId = RecordId.client(ctx.profile, provider);
    const hadClient = (await tx.get(clientId)) !== null;
    tx.delete(clientId);
    tx.delete(RecordId.providerState(ctx.profile, provider));
    return hadClient;
  });
  await ctx.audit.append({
    event: options.event ?? "revoke",
    provider,
    connection: "all",
    status: "success",
    connections: outcomes.length,
  });
  return { provider, connections: outcomes, clientRemoved };
}
