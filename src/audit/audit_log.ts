/**
 * The audit log (CONTRACT §7): `<home>/audit.log`, one JSON object per line, append-only,
 * 0600. This class is its only writer. Each append takes `<home>/audit.log.lock`, so lines from
 * concurrent processes never interleave, and {@linkcode AuditLog.append} encodes the line while
 * that lock is held: the planned hash chain (each entry carrying the SHA-256 of the previous
 * line, checked by `authsome log --verify`) only has to read the last line in `#encode`.
 *
 * Entries hold metadata, never secrets; as defence in depth a field with a secret name (such as
 * `access_token`) lands as `[redacted]` whatever a caller passes, and the exact values of the
 * secrets this process loaded are masked. (Not the debug log's token-shape patterns: entries are
 * built from our own fields, and compiling those patterns would cost every `get` ~1.5 ms.)
 *
 * @module
 */
import { AuthsomeError, HomeUnavailableError } from "../errors.ts";
import { isSecretKey } from "../model/secret_names.ts";
import { knownSecretValues } from "../model/secret.ts";
import { isoTimestamp } from "../model/timestamp.ts";
import type { Platform } from "../platform/types.ts";

/** Every event the audit log records. */
export type AuditEventName =
  | "login"
  | "logout"
  | "revoke"
  | "remove"
  | "register"
  | "get"
  | "export"
  | "run"
  | "refresh"
  | "daemon_start"
  | "daemon_stop";

/** What a caller hands to {@linkcode AuditLog.append}; `timestamp` is added there. */
export interface AuditEvent {
  event: AuditEventName;
  provider?: string;
  connection?: string;
  status: "success" | "failure";
  /** Event-specific fields: `error`, `new_status`, `flow`, `format`, `field`, `command`, `pid`. */
  [field: string]: unknown;
}

/** One line of `audit.log`. */
export interface AuditEntry extends AuditEvent {
  /** RFC 3339 UTC, from the platform clock. */
  timestamp: string;
}

const FILE_MODE = 0o600;
const DIR_MODE = 0o700;
/** Appends hold the lock for one write; waiting longer than this means a stuck process. */
const DEFAULT_LOCK_TIMEOUT_MS = 5_000;
const NEWLINE = 0x0a;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Appends to and reads back `<home>/audit.log`. */
export class AuditLog {
  readonly path: string;
  readonly #platform: Platform;
  readonly #home: string;
  readonly #lockPath: string;
  readonly #lockTimeoutMs: number;
  #prepared = false;
  /** Serialises appends within this process, so they queue here rather than poll the lock. */
  #queue: Promise<void> = Promise.resolve();

  constructor(platform: Platform, home: string, options: { lockTimeoutMs?: number } = {}) {
    this.#platform = platform;
    this.#lockTimeoutMs = options.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS;
    this.#home = home.length > 1 ? home.replace(/\/+$/, "") : home;
    this.path = `${this.#home}/audit.log`;
    this.#lockPath = `${this.path}.lock`;
  }

  /**
   * Appends one entry, stamped with the current time. Rejects with
   * {@linkcode HomeUnavailableError} when the log cannot be locked or written; callers that
   * must not fail because of the audit log catch it.
   */
  append(entry: AuditEvent): Promise<void> {
    const run = this.#queue.then(() => this.#append(entry));
    this.#queue = run.catch(() => {});
    return run;
  }

  async #append(entry: AuditEvent): Promise<void> {
    const fs = this.#platform.fs;
    try {
      if (!this.#prepared) await this.#prepare();
      const lock = await fs.lock(this.#lockPath, this.#lockTimeoutMs);
      if (lock === null) {
        // The kernel drops a dead holder's lock, so this is a live process stuck mid-append.
        throw new HomeUnavailableError(
          `Timed out waiting for the audit log lock ${this.#lockPath}; another authsome process holds it.`,
        );
      }
      try {
        const line = await this.#encode(entry);
        await fs.appendFile(this.path, encoder.encode(line), { mode: FILE_MODE });
      } finally {
        await lock.release();
      }
    } catch (error) {
      if (error instanceof AuthsomeError) throw error;
      throw new HomeUnavailableError(`Cannot write the audit log ${this.path}.`, { cause: error });
    }
  }

  async #prepare(): Promise<void> {
    const fs = this.#platform.fs;
    await fs.ensureDir(this.#home, DIR_MODE);
    const info = await fs.stat(this.path);
    // A log left readable by others is tightened rather than appended to as is.
    if (info && info.mode !== null && (info.mode & 0o077) !== 0) {
      await fs.chmod(this.path, FILE_MODE);
    }
    this.#prepared = true;
  }

  /** The line for `entry`, built under the lock (where a hash chain would read the last line). */
  #encode(entry: AuditEvent): Promise<string> {
    const { event, provider, connection, status, ...extra } = entry;
    const ordered: Record<string, unknown> = {
      timestamp: isoTimestamp(this.#platform.clock.now()),
      event,
      provider,
      connection,
      status,
    };
    for (const [key, value] of Object.entries(extra)) {
      if (key !== "timestamp") ordered[key] = value;
    }
    for (const key of Object.keys(ordered)) {
      if (ordered[key] === null || ordered[key] === undefined) delete ordered[key];
    }
    const redacted = sanitize(ordered, [...knownSecretValues()], false);
    return Promise.resolve(`${JSON.stringify(redacted)}\n`);
  }

  /** The last `n` entries that parse as JSON objects, oldest first. */
  async tail(n: number): Promise<AuditEntry[]> {
    const count = Math.floor(n);
    if (!(count > 0)) return [];
    const entries: AuditEntry[] = [];
    for (const line of await this.#linesFromEnd()) {
      const entry = parseEntry(line);
      if (entry === null) continue;
      entries.push(entry);
      if (entries.length === count) break;
    }
    return entries.reverse();
  }

  /** The last `n` non-empty raw lines, oldest first. */
  async tailLines(n: number): Promise<string[]> {
    return await readLastLines(this.#platform, this.path, n);
  }

  /** Non-empty lines, newest first. */
  async #linesFromEnd(): Promise<Iterable<string>> {
    const data = await this.#platform.fs.readFile(this.path);
    return data === null ? [] : linesFromEnd(data);
  }
}

function parseEntry(line: string): AuditEntry | null {
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === "object" && value !== null && !Array.isArray(value)
      ? value as AuditEntry
      : null;
  } catch {
    return null;
  }
}

/**
 * Walks the bytes backwards and decodes one line at a time, so reading the last few entries
 * decodes only those, not the whole log. (The platform offers no ranged read, so the file
 * itself is still read whole; add one to `FileSystem` if audit logs grow large.) Splitting on
 * the byte 0x0a is safe in UTF-8, where it never occurs inside a multi-byte character.
 */
function* linesFromEnd(data: Uint8Array): Generator<string> {
  let end = data.length;
  while (end > 0) {
    const newline = data.lastIndexOf(NEWLINE, end - 1);
    const line = decoder.decode(data.subarray(newline + 1, end)).trim();
    if (line.length > 0) yield line;
    end = newline === -1 ? 0 : newline;
  }
}

/** The last `n` non-empty lines of a text file, oldest first; empty if it is missing. */
export async function readLastLines(
  platform: Platform,
  path: string,
  n: number,
): Promise<string[]> {
  const count = Math.floor(n);
  if (!(count > 0)) return [];
  const data = await platform.fs.readFile(path);
  if (data === null) return [];
  const lines: string[] = [];
  for (const line of linesFromEnd(data)) {
    lines.push(line);
    if (lines.length === count) break;
  }
  return lines.reverse();
}

function maskKnown(text: string, known: readonly string[]): string {
  let out = text;
  for (const value of known) if (out.includes(value)) out = out.replaceAll(value, "[redacted]");
  return out;
}

/** Masks secret-named fields and known secret values in an entry (a deep copy). */
function sanitize(value: unknown, known: readonly string[], secret: boolean): unknown {
  if (secret && value !== null && value !== undefined) return "[redacted]";
  if (typeof value === "string") return maskKnown(value, known);
  const toJSON = (value as { toJSON?: unknown } | null)?.toJSON;
  if (typeof toJSON === "function") return sanitize(toJSON.call(value), known, secret);
  if (Array.isArray(value)) return value.map((item) => sanitize(item, known, secret));
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [key, child] of Object.entries(value)) {
      out[key] = sanitize(child, known, secret || isSecretKey(key));
    }
    return out;
  }
  return value;
}
