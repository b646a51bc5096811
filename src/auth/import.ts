/**
 * `authsome import`: copies the Python predecessor's connections, OAuth clients, default
 * connections and custom providers into this authsome's vault.
 *
 * Safe by construction: the predecessor's files are only read (its SQLite store through a
 * temporary copy, see `platform/sqlite.ts`), never moved, rewritten or deleted, so the Python
 * tool keeps working and a second run finds everything "already in the vault" (idempotent).
 * Every record is either imported or skipped with a reason.
 *
 * @module
 */
import { UsageError, VaultError } from "../errors.ts";
import {
  clientFromData,
  connectionFromData,
  providerStateFromData,
  providerStateToData,
  RecordId,
} from "../model/connection.ts";
import { homePaths } from "../model/home.ts";
import { decodeKey } from "../vault/key_source.ts";
import {
  detectPredecessorHome,
  parsePredecessorKeyFile,
  predecessorStorePath,
} from "../vault/predecessor.ts";
import {
  PredecessorKeyError,
  type PredecessorRecord,
  readPredecessorStore,
} from "../migrate/predecessor_store.ts";
import { ProviderRegistry } from "../providers/registry.ts";
import { saveClient } from "./clients.ts";
import type { AuthsomeContext } from "./context.ts";
import { saveConnection } from "./connections.ts";
import { ensureConfig } from "./setup.ts";

/** One imported item. */
export interface ImportedItem {
  kind: "connection" | "client" | "default_connection" | "provider";
  profile?: string;
  provider: string;
  connection?: string;
}

/** One skipped item and why. */
export interface SkippedItem {
  /** e.g. `connection default/github/work`, `providers/acme.json`. */
  item: string;
  reason: string;
}

/** What `import` did. */
export interface ImportReport {
  /** The predecessor home read from. */
  source: string;
  imported: ImportedItem[];
  skipped: SkippedItem[];
  /** Custom providers of a shared home: already in `providers/`, valid, used as they are. */
  providersInPlace: string[];
}

/** Options of {@linkcode importPredecessor}. */
export interface ImportOptions {
  /** The predecessor's home; default: this authsome's home (they share `~/.authsome`). */
  from?: string;
}

const CONNECTION_STATUSES = new Set(["connected", "expired", "invalid"]);
/** Profile and connection names this vault accepts (as `checkName`). */
const VALID_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** Python writes `2026-01-02T03:04:05.123456+00:00`; the vault keeps RFC 3339 UTC. */
function utc(value: unknown): string | null {
  if (typeof value !== "string" || value === "") return null;
  const zoned = /(Z|[+-]\d\d:?\d\d)$/i.test(value) ? value : `${value}Z`;
  const ms = Date.parse(zoned.replace(/(\.\d{3})\d+/, "$1"));
  return Number.isNaN(ms) ? null : new Date(ms).toISOString();
}

function scopesOf(value: unknown): string[] {
  if (Array.isArray(value)) return value.filter((s): s is string => typeof s === "string");
  if (typeof value === "string") return value.split(/[\s,]+/).filter(Boolean);
  return [];
}

function candidateKeys(ctx: AuthsomeContext, keyFileText: string | null): Uint8Array[] {
  const keys: Uint8Array[] = [];
  const fromFile = keyFileText === null
    ? null
    : parsePredecessorKeyFile(keyFileText) ?? decodeKey(keyFileText);
  if (fromFile) keys.push(fromFile);
  for (const name of ["AUTHSOME_IMPORT_KEY", "AUTHSOME_MASTER_KEY"]) {
    const value = ctx.platform.env(name);
    const key = value ? decodeKey(value) : null;
    if (key) keys.push(key);
  }
  return keys;
}

function keyringHint(): string {
  return "The Python authsome may keep its key in the OS keyring; export it for the import:\n" +
    "  Linux:  AUTHSOME_IMPORT_KEY=$(secret-tool lookup service authsome username master_key) " +
    "authsome import\n" +
    "  macOS:  AUTHSOME_IMPORT_KEY=$(security find-generic-password -s authsome -a master_key -w) " +
    "authsome import";
}

/** Imports everything the predecessor left in `options.from` (default: the home). */
export async function importPredecessor(
  ctx: AuthsomeContext,
  options: ImportOptions = {},
): Promise<ImportReport> {
  const source = (options.from ?? ctx.paths.home).replace(/\/+$/, "") || "/";
  const sourcePaths = homePaths(source);
  const inPlace = sourcePaths.home === ctx.paths.home;
  const report: ImportReport = {
    source: sourcePaths.home,
    imported: [],
    skipped: [],
    providersInPlace: [],
  };
  if (!inPlace && !(await ctx.platform.fs.stat(sourcePaths.home))?.isDirectory) {
    throw new UsageError(`${sourcePaths.home} is not a directory`, {
      hint: "authsome import --from <the Python authsome's home, e.g. ~/.authsome>",
    });
  }
  const found = await detectPredecessorHome(ctx.platform, sourcePaths);
  const providerFiles = (await ctx.platform.fs.readDir(sourcePaths.providers))
    .filter((f) => f.endsWith(".json") && !f.startsWith("."));
  if (!found && (inPlace || providerFiles.length === 0)) {
    if (!inPlace) {
      throw new UsageError(`${sourcePaths.home} holds no files of the Python authsome`, {
        hint: "Point --from at the directory that holds its master.key and profiles/",
      });
    }
    return report;
  }
  const profiles = found?.profiles ?? [];
  // Read before the vault exists: creating it may create a master.key of ours in this home.
  const keyFileText = await ctx.platform.fs.readTextFile(sourcePaths.masterKey);
  const keys = candidateKeys(ctx, keyFileText);
  if (profiles.length > 0 && keys.length === 0) {
    throw new VaultError(`no key for the Python authsome's store in ${sourcePaths.home}`, {
      hint: keyringHint(),
    });
  }
  ctx.vault.acceptPredecessorHome();
  // Even an import with nothing new leaves a vault, so the home stops reading as the
  // predecessor's.
  await ctx.vault.initialize();
  await ensureConfig(ctx);
  await importProviders(ctx, sourcePaths.home, inPlace, report);
  const registry = await ProviderRegistry.load(ctx.platform, ctx.paths.home);

  if (profiles.length === 0) return report;
  const records: PredecessorRecord[] = [];
  for (const profile of profiles) {
    const path = predecessorStorePath(sourcePaths.home, profile);
    try {
      records.push(...await readPredecessorStore(path, keys));
    } catch (error) {
      if (error instanceof PredecessorKeyError) {
        report.skipped.push({
          item: `profiles/${profile}/store.db`,
          reason: "none of the available keys decrypts it (master.key, AUTHSOME_IMPORT_KEY, " +
            "AUTHSOME_MASTER_KEY)",
        });
        continue;
      }
      report.skipped.push({
        item: `profiles/${profile}/store.db`,
        reason: `cannot be read: ${error instanceof Error ? error.message : String(error)}`,
      });
    }
  }
  await ctx.vault.update(async (tx) => {
    const defaults: PredecessorRecord[] = [];
    for (const record of records) {
      const label = record.kind === "connection"
        ? `connection ${record.profile}/${record.provider}/${record.connectionName}`
        : `${record.kind} ${record.profile}/${record.provider}`;
      if (record.data === null) {
        report.skipped.push({ item: label, reason: record.problem ?? "unreadable" });
        continue;
      }
      const badName = [record.profile, record.connectionName ?? "default"].find((n) =>
        !VALID_NAME.test(n) || n.includes("..")
      );
      if (badName !== undefined) {
        report.skipped.push({ item: label, reason: `"${badName}" is not a valid name here` });
        continue;
      }
      if (!registry.has(record.provider)) {
        report.skipped.push({
          item: label,
          reason: `no definition of provider "${record.provider}": register it ` +
            `(authsome register <file>), then run authsome import again`,
        });
        continue;
      }
      if (record.kind === "state") {
        report.skipped.push({ item: label, reason: "refresh history is not carried over" });
        continue;
      }
      if (record.kind === "metadata") {
        defaults.push(record);
        continue;
      }
      if (record.kind === "client") {
        const id = RecordId.client(record.profile, record.provider);
        if (await tx.get(id)) {
          report.skipped.push({ item: label, reason: "already in the vault" });
          continue;
        }
        const source = record.data.source === "dcr_generated"
          ? "dcr"
          : record.data.source === "env_imported"
          ? "env"
          : "user_supplied";
        const client = clientFromData({ ...record.data, source });
        if (!client.clientId) {
          report.skipped.push({ item: label, reason: "holds no client id" });
          continue;
        }
        saveClient(tx, record.profile, record.provider, client);
        report.imported.push({
          kind: "client",
          profile: record.profile,
          provider: record.provider,
        });
        continue;
      }
      if (record.kind !== "connection") continue;
      const name = record.connectionName!;
      const status = String(record.data.status ?? "connected");
      if (!CONNECTION_STATUSES.has(status)) {
        report.skipped.push({ item: label, reason: `its status is "${status}"` });
        continue;
      }
      if (await tx.get(RecordId.connection(record.profile, record.provider, name))) {
        report.skipped.push({ item: label, reason: "already in the vault" });
        continue;
      }
      const connection = connectionFromData({
        ...record.data,
        profile: record.profile,
        provider: record.provider,
        connection_name: name,
        status,
        scopes: scopesOf(record.data.scopes),
        expires_at: utc(record.data.expires_at),
        obtained_at: utc(record.data.obtained_at),
      });
      if (!connection.accessToken && !connection.apiKey) {
        report.skipped.push({ item: label, reason: "holds no access token or API key" });
        continue;
      }
      delete connection.extra.schema_version;
      connection.extra.imported_from = "authsome-python";
      await saveConnection(tx, connection);
      report.imported.push({
        kind: "connection",
        profile: record.profile,
        provider: record.provider,
        connection: name,
      });
    }
    for (const record of defaults) {
      const wanted = providerStateFromData(record.data).defaultConnection;
      const id = RecordId.providerState(record.profile, record.provider);
      const importedHere = report.imported.some((i) =>
        i.kind === "connection" && i.profile === record.profile && i.provider === record.provider
      );
      const exists = await tx.get(RecordId.connection(record.profile, record.provider, wanted));
      const current = providerStateFromData(await tx.get(id));
      if (!importedHere || !exists || current.defaultConnection === wanted) continue;
      current.defaultConnection = wanted;
      tx.put(id, providerStateToData(current));
      report.imported.push({
        kind: "default_connection",
        profile: record.profile,
        provider: record.provider,
        connection: wanted,
      });
    }
  });
  for (const item of report.imported.filter((i) => i.kind === "connection")) {
    await ctx.audit.append({
      event: "import",
      provider: item.provider,
      connection: item.connection,
      profile: item.profile,
      status: "success",
      source: "authsome-python",
    });
  }
  return report;
}

async function importProviders(
  ctx: AuthsomeContext,
  sourceHome: string,
  inPlace: boolean,
  report: ImportReport,
): Promise<void> {
  const theirs = await ProviderRegistry.load(ctx.platform, sourceHome);
  for (const warning of theirs.warnings) {
    const file = warning.file.slice(sourceHome.length + 1);
    const reason = warning.message.startsWith(`${file}: `)
      ? warning.message.slice(file.length + 2)
      : warning.message;
    report.skipped.push({ item: file, reason });
  }
  const ours = inPlace ? theirs : await ProviderRegistry.load(ctx.platform, ctx.paths.home);
  for (const entry of theirs.list()) {
    if (!theirs.isCustom(entry.definition.name)) continue;
    const name = entry.definition.name;
    if (inPlace) {
      report.providersInPlace.push(name);
      continue;
    }
    if (ours.isCustom(name)) {
      report.skipped.push({ item: `providers/${name}.json`, reason: "already registered" });
      continue;
    }
    await ours.register(ctx.platform, ctx.paths.home, entry.definition.raw, { force: true });
    report.imported.push({ kind: "provider", provider: name });
  }
}
