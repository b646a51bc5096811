/**
 * Stored records (docs/contract.md §3): connections, OAuth clients and per-provider metadata, and their
 * record ids in the vault. In memory, secret fields are {@linkcode Secret}s; they become plain
 * strings only inside the encrypted vault (`toData`) or when deliberately revealed.
 *
 * Unknown fields found in a stored record are carried along unchanged (`extra`).
 *
 * @module
 */
import { UsageError } from "../errors.ts";
import { Secret, secretOrNull } from "./secret.ts";

/** Stored status of a connection (`not_connected` exists only for display). */
export type ConnectionStatus = "connected" | "expired" | "invalid";

/** A credential for (profile, provider, connection name). */
export interface Connection {
  profile: string;
  provider: string;
  connectionName: string;
  authType: "oauth2" | "api_key";
  status: ConnectionStatus;
  accessToken: Secret | null;
  refreshToken: Secret | null;
  tokenType: string | null;
  scopes: string[];
  /** RFC 3339 UTC. */
  expiresAt: string | null;
  obtainedAt: string | null;
  apiKey: Secret | null;
  baseUrl: string | null;
  hostUrl: string | null;
  lastRefreshAt: string | null;
  lastRefreshError: string | null;
  metadata: Record<string, unknown>;
  /** Fields written by other versions, preserved on rewrite. */
  extra: Record<string, unknown>;
}

/** OAuth client configuration per (profile, provider). */
export interface OAuthClient {
  clientId: string | null;
  clientSecret: Secret | null;
  source: "user_supplied" | "env" | "dcr";
  registration: Record<string, unknown> | null;
  extra: Record<string, unknown>;
}

/** Per (profile, provider) settings. */
export interface ProviderState {
  defaultConnection: string;
  extra: Record<string, unknown>;
}

const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** Validates a profile or connection name (they become parts of record ids). */
export function checkName(kind: "profile" | "connection", name: string): string {
  if (!NAME_PATTERN.test(name) || name.includes("..")) {
    throw new UsageError(
      `invalid ${kind} name "${name}": use letters, digits, ".", "_" or "-" (at most 64)`,
    );
  }
  return name;
}

/** Vault record ids. */
export const RecordId = {
  connection: (profile: string, provider: string, name: string) =>
    `connection/${profile}/${provider}/${name}`,
  connectionsOf: (profile: string, provider: string) => `connection/${profile}/${provider}/`,
  connectionsIn: (profile: string) => `connection/${profile}/`,
  client: (profile: string, provider: string) => `client/${profile}/${provider}`,
  providerState: (profile: string, provider: string) => `provider/${profile}/${provider}`,
};

const CONNECTION_FIELDS = [
  "profile",
  "provider",
  "connection_name",
  "auth_type",
  "status",
  "access_token",
  "refresh_token",
  "token_type",
  "scopes",
  "expires_at",
  "obtained_at",
  "api_key",
  "base_url",
  "host_url",
  "last_refresh_at",
  "last_refresh_error",
  "metadata",
];

function str(value: unknown): string | null {
  return typeof value === "string" ? value : null;
}

function rest(data: Record<string, unknown>, known: string[]): Record<string, unknown> {
  const extra: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(data)) if (!known.includes(key)) extra[key] = value;
  return extra;
}

/** Reads a stored connection record. */
export function connectionFromData(data: Record<string, unknown>): Connection {
  const status = data.status === "expired" || data.status === "invalid" ? data.status : "connected";
  return {
    profile: str(data.profile) ?? "default",
    provider: str(data.provider) ?? "",
    connectionName: str(data.connection_name) ?? "default",
    authType: data.auth_type === "oauth2" ? "oauth2" : "api_key",
    status,
    accessToken: secretOrNull(str(data.access_token)),
    refreshToken: secretOrNull(str(data.refresh_token)),
    tokenType: str(data.token_type),
    scopes: Array.isArray(data.scopes) ? data.scopes.filter((s) => typeof s === "string") : [],
    expiresAt: str(data.expires_at),
    obtainedAt: str(data.obtained_at),
    apiKey: secretOrNull(str(data.api_key)),
    baseUrl: str(data.base_url),
    hostUrl: str(data.host_url),
    lastRefreshAt: str(data.last_refresh_at),
    lastRefreshError: str(data.last_refresh_error),
    metadata: typeof data.metadata === "object" && data.metadata !== null
      ? data.metadata as Record<string, unknown>
      : {},
    extra: rest(data, CONNECTION_FIELDS),
  };
}

/** The stored form of a connection (secrets revealed: only for the encrypted vault). */
export function connectionToData(connection: Connection): Record<string, unknown> {
  return {
    ...connection.extra,
    profile: connection.profile,
    provider: connection.provider,
    connection_name: connection.connectionName,
    auth_type: connection.authType,
    status: connection.status,
    access_token: connection.accessToken?.reveal() ?? null,
    refresh_token: connection.refreshToken?.reveal() ?? null,
    token_type: connection.tokenType,
    scopes: connection.scopes,
    expires_at: connection.expiresAt,
    obtained_at: connection.obtainedAt,
    api_key: connection.apiKey?.reveal() ?? null,
    base_url: connection.baseUrl,
    host_url: connection.hostUrl,
    last_refresh_at: connection.lastRefreshAt,
    last_refresh_error: connection.lastRefreshError,
    metadata: connection.metadata,
  };
}

/** Names of the fields that hold secrets. */
export const SECRET_FIELDS = ["access_token", "refresh_token", "api_key"] as const;

/** Every field `get --field` accepts, in display order. */
export const CONNECTION_DISPLAY_FIELDS = [
  "provider",
  "profile",
  "connection_name",
  "auth_type",
  "status",
  "base_url",
  "host_url",
  "scopes",
  "token_type",
  "expires_at",
  "obtained_at",
  "last_refresh_at",
  "last_refresh_error",
  "access_token",
  "refresh_token",
  "api_key",
  "metadata",
] as const;

/** Reads a stored client record. */
export function clientFromData(data: Record<string, unknown>): OAuthClient {
  const source = data.source === "env" || data.source === "dcr" ? data.source : "user_supplied";
  return {
    clientId: str(data.client_id),
    clientSecret: secretOrNull(str(data.client_secret)),
    source,
    registration: typeof data.registration === "object" && data.registration !== null
      ? data.registration as Record<string, unknown>
      : null,
    extra: rest(data, ["client_id", "client_secret", "source", "registration"]),
  };
}

/** The stored form of a client record. */
export function clientToData(client: OAuthClient): Record<string, unknown> {
  return {
    ...client.extra,
    client_id: client.clientId,
    client_secret: client.clientSecret?.reveal() ?? null,
    source: client.source,
    registration: client.registration,
  };
}

/** Reads provider state; a missing record means the defaults. */
export function providerStateFromData(data: Record<string, unknown> | null): ProviderState {
  return {
    defaultConnection: str(data?.default_connection) ?? "default",
    extra: data ? rest(data, ["default_connection"]) : {},
  };
}

/** The stored form of provider state. */
export function providerStateToData(state: ProviderState): Record<string, unknown> {
  return { ...state.extra, default_connection: state.defaultConnection };
}

/** Creates a new secret-holding API-key connection. */
export function newApiKeyConnection(
  fields: { profile: string; provider: string; connectionName: string; apiKey: Secret },
  now: string,
  hostUrl: string | null,
): Connection {
  return {
    profile: fields.profile,
    provider: fields.provider,
    connectionName: fields.connectionName,
    authType: "api_key",
    status: "connected",
    accessToken: null,
    refreshToken: null,
    tokenType: null,
    scopes: [],
    expiresAt: null,
    obtainedAt: now,
    apiKey: fields.apiKey,
    baseUrl: null,
    hostUrl,
    lastRefreshAt: null,
    lastRefreshError: null,
    metadata: {},
    extra: {},
  };
}
