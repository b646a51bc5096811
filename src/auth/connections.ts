/**
 * Reading and writing connection records, and choosing which connection a command means.
 *
 * @module
 */
import { CredentialMissingError } from "../errors.ts";
import {
  checkName,
  type Connection,
  connectionFromData,
  connectionToData,
  providerStateFromData,
  providerStateToData,
  RecordId,
} from "../model/connection.ts";
import type { RecordData } from "../vault/vault.ts";

/** Anything records can be read from: a snapshot or a transaction. */
export interface RecordReader {
  get(id: string): Promise<RecordData | null>;
  list(prefix: string): Promise<Map<string, RecordData>>;
}

/** Anything records can be written to: a transaction. */
export interface RecordWriter extends RecordReader {
  put(id: string, data: RecordData): void;
  delete(id: string): void;
}

/** The connection name a command means: the explicit one, else the provider's default. */
export async function resolveConnectionName(
  reader: RecordReader,
  profile: string,
  provider: string,
  explicit: string | undefined,
): Promise<string> {
  if (explicit !== undefined) return checkName("connection", explicit);
  const state = providerStateFromData(await reader.get(RecordId.providerState(profile, provider)));
  return state.defaultConnection;
}

/** The connection, or null. */
export async function findConnection(
  reader: RecordReader,
  profile: string,
  provider: string,
  name: string,
): Promise<Connection | null> {
  const data = await reader.get(RecordId.connection(profile, provider, name));
  return data ? connectionFromData(data) : null;
}

/** The connection, or a "not logged in" error with the command that fixes it. */
export async function requireConnection(
  reader: RecordReader,
  profile: string,
  provider: string,
  name: string,
): Promise<Connection> {
  const found = await findConnection(reader, profile, provider, name);
  if (found) return found;
  throw new CredentialMissingError(
    `no connection "${name}" for ${provider} in profile "${profile}"`,
    { hint: loginCommand(provider, loginFlagsFor({ connectionName: name, profile })) },
  );
}

/**
 * The `authsome login` flags that target this stored connection again: `--connection` and
 * `--profile` unless they are `default` (so the troubleshooting page's commands read as printed).
 */
export function loginFlagsFor(
  connection: Pick<Connection, "connectionName" | "profile">,
): { connection?: string; profile?: string } {
  return {
    connection: connection.connectionName === "default" ? undefined : connection.connectionName,
    profile: connection.profile === "default" ? undefined : connection.profile,
  };
}

/**
 * An `authsome <verb> <provider>` command for hints: each flag only when given, so every hint
 * spells its flags the same way.
 */
export function authsomeCommand(
  verb: string,
  provider: string,
  flags: { connection?: string; profile?: string; force?: boolean } = {},
): string {
  return `authsome ${verb} ${provider}` +
    (flags.connection === undefined ? "" : ` --connection ${flags.connection}`) +
    (flags.profile === undefined ? "" : ` --profile ${flags.profile}`) +
    (flags.force ? " --force" : "");
}

/** The `authsome login` command for hints (every hint that sends the user back to `login`). */
export function loginCommand(
  provider: string,
  flags: { connection?: string; profile?: string; force?: boolean } = {},
): string {
  return authsomeCommand("login", provider, flags);
}

/** The `authsome get` command that reads `connection`, spelling its flags as `login` hints do. */
export function getCommand(
  connection: Pick<Connection, "provider" | "connectionName" | "profile">,
): string {
  return authsomeCommand("get", connection.provider, loginFlagsFor(connection));
}

/**
 * The connection a command means (explicit name, else the provider's default), or a "not
 * logged in" error. The default's lookup and the common `default` name are read in parallel.
 */
export async function loadConnection(
  reader: RecordReader,
  profile: string,
  provider: string,
  explicit: string | undefined,
): Promise<Connection> {
  if (explicit !== undefined) {
    return await requireConnection(reader, profile, provider, checkName("connection", explicit));
  }
  const [name, guess] = await Promise.all([
    resolveConnectionName(reader, profile, provider, undefined),
    findConnection(reader, profile, provider, "default"),
  ]);
  if (name === "default" && guess) return guess;
  return await requireConnection(reader, profile, provider, name);
}

/** Every connection of a provider (or of the profile when provider is omitted). */
export async function listConnections(
  reader: RecordReader,
  profile: string,
  provider?: string,
): Promise<Connection[]> {
  const prefix = provider
    ? RecordId.connectionsOf(profile, provider)
    : RecordId.connectionsIn(profile);
  const records = await reader.list(prefix);
  return [...records.values()].map(connectionFromData);
}

/** Stores a connection; the first connection of a provider becomes its default. */
export async function saveConnection(writer: RecordWriter, connection: Connection): Promise<void> {
  const { profile, provider, connectionName } = connection;
  writer.put(RecordId.connection(profile, provider, connectionName), connectionToData(connection));
  const stateId = RecordId.providerState(profile, provider);
  const stateData = await writer.get(stateId);
  if (stateData === null) {
    const siblings = await writer.list(RecordId.connectionsOf(profile, provider));
    const hasDefault = siblings.has(RecordId.connection(profile, provider, "default"));
    const state = providerStateFromData(null);
    state.defaultConnection = hasDefault ? "default" : connectionName;
    writer.put(stateId, providerStateToData(state));
  }
}

/**
 * Deletes one connection. When it was the default, the default moves to a remaining
 * connection, or the provider state goes away with the last one.
 */
export async function deleteConnection(
  writer: RecordWriter,
  profile: string,
  provider: string,
  name: string,
): Promise<void> {
  writer.delete(RecordId.connection(profile, provider, name));
  const stateId = RecordId.providerState(profile, provider);
  const state = providerStateFromData(await writer.get(stateId));
  const remaining = await listConnections(writer, profile, provider);
  if (remaining.length === 0) {
    writer.delete(stateId);
    return;
  }
  if (state.defaultConnection === name) {
    const next = remaining.find((c) => c.connectionName === "default") ?? remaining[0];
    state.defaultConnection = next.connectionName;
    writer.put(stateId, providerStateToData(state));
  }
}
