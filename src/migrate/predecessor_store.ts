/**
 * Reads the Python predecessor's credential store (authsome v0.1/v0.2, see the spec §3.2, §4):
 * `profiles/<profile>/store.db`, a SQLite table `kv(key TEXT PRIMARY KEY, value TEXT)`.
 *
 * Keys: `profile:<profile>:<provider>:connection:<name>`, `…:<provider>:client`,
 * `…:<provider>:metadata`, `…:<provider>:state`.
 *
 * Values, by version:
 * - v0.2: the whole JSON record sealed with AES-256-GCM under the master key, stored as
 *   `base64(nonce 12 bytes) + "." + base64(ciphertext ‖ tag 16 bytes)`, no additional data;
 * - v0.1: plain JSON whose secret fields are envelopes
 *   `{"enc":1,"alg":"AES-256-GCM","kid":"local","nonce","ciphertext","tag"}` (base64 each).
 *
 * Nothing here writes: the database is read through a temporary copy.
 *
 * @module
 */
import { querySqliteCopy } from "../platform/sqlite.ts";

/** One decrypted record of the predecessor's store. */
export interface PredecessorRecord {
  /** The store key, e.g. `profile:default:github:connection:default`. */
  key: string;
  profile: string;
  provider: string;
  /** `connection`, `client`, `metadata`, `state` or something unknown. */
  kind: string;
  /** The connection name for `connection` records. */
  connectionName: string | null;
  /** The decrypted JSON, or null when it could not be read (see `problem`). */
  data: Record<string, unknown> | null;
  problem: string | null;
}

/** Thrown when none of the candidate keys opens the store. */
export class PredecessorKeyError extends Error {
  override name = "PredecessorKeyError";
}

const KEY_PATTERN = /^profile:([^:]+):([^:]+):(connection|client|metadata|state)(?::(.+))?$/;

/** Splits a store key into its parts, or null for keys of another shape. */
export function parseStoreKey(
  key: string,
): { profile: string; provider: string; kind: string; connectionName: string | null } | null {
  const match = KEY_PATTERN.exec(key);
  if (!match) return null;
  const [, profile, provider, kind, name] = match;
  if (kind === "connection" && !name) return null;
  return { profile, provider, kind, connectionName: kind === "connection" ? name : null };
}

function fromBase64(text: string): Uint8Array<ArrayBuffer> {
  const normalised = text.trim().replaceAll("-", "+").replaceAll("_", "/");
  const padded = normalised.padEnd(Math.ceil(normalised.length / 4) * 4, "=");
  return Uint8Array.fromBase64(padded) as Uint8Array<ArrayBuffer>;
}

async function aesKey(raw: Uint8Array): Promise<CryptoKey> {
  return await crypto.subtle.importKey("raw", new Uint8Array(raw), "AES-GCM", false, ["decrypt"]);
}

async function openSealed(
  key: CryptoKey,
  nonce: Uint8Array<ArrayBuffer>,
  sealed: Uint8Array<ArrayBuffer>,
): Promise<string> {
  const plain = await crypto.subtle.decrypt({ name: "AES-GCM", iv: nonce }, key, sealed);
  return new TextDecoder().decode(plain);
}

function isEnvelope(value: unknown): value is Record<string, string> {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  return v.enc === 1 && typeof v.nonce === "string" && typeof v.ciphertext === "string" &&
    typeof v.tag === "string";
}

/**
 * Decrypts one stored value with `key`. Throws when the key does not fit (AES-GCM refuses)
 * or the value has no known shape.
 */
async function decryptValue(
  key: CryptoKey,
  value: string,
): Promise<Record<string, unknown>> {
  const trimmed = value.trim();
  if (trimmed.startsWith("{")) {
    // v0.1: plain JSON, secret fields sealed one by one.
    const record = JSON.parse(trimmed) as Record<string, unknown>;
    for (const [field, inner] of Object.entries(record)) {
      if (!isEnvelope(inner)) continue;
      const sealed = new Uint8Array([...fromBase64(inner.ciphertext), ...fromBase64(inner.tag)]);
      record[field] = await openSealed(key, fromBase64(inner.nonce), sealed);
    }
    return record;
  }
  const dot = trimmed.indexOf(".");
  if (dot <= 0) throw new Error("not a sealed record (expected nonce.ciphertext)");
  const text = await openSealed(
    key,
    fromBase64(trimmed.slice(0, dot)),
    fromBase64(trimmed.slice(dot + 1)),
  );
  const parsed = JSON.parse(text);
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new Error("the decrypted record is not a JSON object");
  }
  return parsed as Record<string, unknown>;
}

async function opens(key: CryptoKey, value: string): Promise<boolean> {
  try {
    await decryptValue(key, value);
    return true;
  } catch {
    return false;
  }
}

/**
 * Reads and decrypts every record of one profile's store. `candidateKeys` are tried in order
 * on the first sealed value; the first that opens it is used for all.
 */
export async function readPredecessorStore(
  storePath: string,
  candidateKeys: Uint8Array[],
): Promise<PredecessorRecord[]> {
  const rows = await querySqliteCopy(storePath, "SELECT key, value FROM kv ORDER BY key");
  const entries = rows
    .filter((row) => typeof row.key === "string" && typeof row.value === "string")
    .map((row) => ({ key: row.key as string, value: row.value as string }));
  const keys = await Promise.all(candidateKeys.map(aesKey));
  let key: CryptoKey | null = keys[0] ?? null;
  const probe = entries.find((entry) => parseStoreKey(entry.key) !== null);
  if (probe) {
    key = null;
    for (const candidate of keys) {
      if (await opens(candidate, probe.value)) {
        key = candidate;
        break;
      }
    }
    if (!key) throw new PredecessorKeyError(`no available key decrypts ${storePath}`);
  }
  const records: PredecessorRecord[] = [];
  for (const entry of entries) {
    const parts = parseStoreKey(entry.key);
    if (!parts) continue;
    let data: Record<string, unknown> | null = null;
    let problem: string | null = null;
    try {
      data = await decryptValue(key!, entry.value);
    } catch (error) {
      problem = `could not be decrypted (${error instanceof Error ? error.name : "error"})`;
    }
    records.push({ key: entry.key, ...parts, data, problem });
  }
  return records;
}
