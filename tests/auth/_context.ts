/**
 * Shared set-up for the use-case tests under tests/auth/: an AuthsomeContext on a fake
 * platform (real files in a temp home, fake clock and environment), a log sink that records
 * what it is told, the real audit log, and builders for connections and custom providers.
 */
import { AuditLog } from "../../src/audit/audit_log.ts";
import { saveClient } from "../../src/auth/clients.ts";
import { saveConnection } from "../../src/auth/connections.ts";
import { type AuthsomeContext, createContext, type LogSink } from "../../src/auth/context.ts";
import type { Connection } from "../../src/model/connection.ts";
import type { ProviderDefinition } from "../../src/model/provider.ts";
import { Secret } from "../../src/model/secret.ts";
import { validateProvider } from "../../src/providers/schema.ts";
import { encodeKey } from "../../src/vault/key_source.ts";
import { type FakePlatform, fakePlatform, tempHome } from "../_fakes/platform.ts";

/** A fixed vault key (no PBKDF2, no master.key): fast and deterministic. */
export const TEST_KEY = encodeKey(Uint8Array.from({ length: 32 }, (_, i) => (i * 13 + 5) & 0xff));

/** A log sink that keeps every line, so tests can look at warnings. */
export interface RecordingLog extends LogSink {
  lines: { level: string; message: string }[];
}

/** A silent log sink that records. */
export function recordingLog(): RecordingLog {
  const lines: { level: string; message: string }[] = [];
  const at = (level: string) => (message: string) => void lines.push({ level, message });
  return { lines, debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}

/** A wired context over a fresh temp home. Dispose it to remove the home. */
export interface TestContext extends AsyncDisposable {
  ctx: AuthsomeContext;
  platform: FakePlatform;
  home: string;
  log: RecordingLog;
  audit: AuditLog;
}

/** Options of {@linkcode testContext}. */
export interface TestContextOptions {
  env?: Record<string, string>;
  now?: number;
  profile?: string;
  /** Use master.key instead of AUTHSOME_MASTER_KEY. */
  keyFile?: boolean;
  /** Providers to install as custom definitions before the context is created. */
  providers?: Record<string, unknown>[];
}

/** Builds a context; the home directory itself is created only by what the test does. */
export async function testContext(options: TestContextOptions = {}): Promise<TestContext> {
  const temp = await tempHome();
  const env = { ...(options.keyFile ? {} : { AUTHSOME_MASTER_KEY: TEST_KEY }), ...options.env };
  const platform = fakePlatform({ env, now: options.now });
  for (const raw of options.providers ?? []) await writeCustomProvider(temp.home, raw);
  const log = recordingLog();
  const audit = new AuditLog(platform, temp.home);
  const ctx = createContext(platform, {
    home: temp.home,
    profile: options.profile,
    log,
    audit,
    lockTimeoutMs: 2_000,
  });
  return {
    ctx,
    platform,
    home: temp.home,
    log,
    audit,
    [Symbol.asyncDispose]: temp[Symbol.asyncDispose],
  };
}

/** Writes `<home>/providers/<name>.json` (0600, directories 0700). */
export async function writeCustomProvider(home: string, raw: Record<string, unknown>) {
  await Deno.mkdir(`${home}/providers`, { recursive: true, mode: 0o700 });
  await Deno.chmod(home, 0o700);
  await Deno.chmod(`${home}/providers`, 0o700);
  const path = `${home}/providers/${raw.name}.json`;
  await Deno.writeTextFile(path, JSON.stringify(raw), { mode: 0o600 });
  await Deno.chmod(path, 0o600);
}

/** A raw API-key provider definition. */
export function apiKeyProvider(
  name: string,
  block: Record<string, unknown> = {},
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    schema_version: 1,
    name,
    display_name: `${name[0].toUpperCase()}${name.slice(1)}`,
    auth_type: "api_key",
    flow: "api_key",
    api_key: block,
    ...overrides,
  };
}

/** A raw OAuth2 provider definition whose endpoints live under `baseUrl`. */
export function oauthProvider(
  name: string,
  baseUrl: string,
  overrides: Record<string, unknown> = {},
  block: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    schema_version: 1,
    name,
    display_name: `${name[0].toUpperCase()}${name.slice(1)}`,
    auth_type: "oauth2",
    flow: "pkce",
    oauth: {
      authorization_url: `${baseUrl}/authorize`,
      token_url: `${baseUrl}/token`,
      revocation_url: `${baseUrl}/revoke`,
      scopes: ["read"],
      ...block,
    },
    host_url: `api.${name}.test`,
    ...overrides,
  };
}

/** A validated definition from a raw one. */
export function definition(raw: Record<string, unknown>): ProviderDefinition {
  return validateProvider(raw, `providers/${raw.name}.json`);
}

/** A connection record with sensible defaults. */
export function connection(fields: Partial<Connection> & { provider: string }): Connection {
  return {
    profile: "default",
    connectionName: "default",
    authType: "api_key",
    status: "connected",
    accessToken: null,
    refreshToken: null,
    tokenType: null,
    scopes: [],
    expiresAt: null,
    obtainedAt: "2026-11-25T11:00:00Z",
    apiKey: null,
    baseUrl: null,
    hostUrl: null,
    lastRefreshAt: null,
    lastRefreshError: null,
    metadata: {},
    extra: {},
    ...fields,
  };
}

/** An API-key connection holding `key`. */
export function keyConnection(provider: string, name: string, key: string): Connection {
  return connection({ provider, connectionName: name, apiKey: new Secret(key) });
}

/** Stores connections (the first of a provider becomes its default, as in a real login). */
export async function store(ctx: AuthsomeContext, ...connections: Connection[]): Promise<void> {
  await ctx.vault.update(async (tx) => {
    for (const c of connections) await saveConnection(tx, c);
  });
}

/** Stores a public OAuth client for a provider. */
export async function storeClient(ctx: AuthsomeContext, provider: string, clientId: string) {
  await ctx.vault.update((tx) =>
    saveClient(tx, ctx.profile, provider, {
      clientId,
      clientSecret: null,
      source: "user_supplied",
      registration: null,
      extra: {},
    })
  );
}
