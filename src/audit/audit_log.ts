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
import { concat } from "../platform/bytes.ts";
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
  | "daemon_stop"
  | "grant_create"
  | "grant_revoke"
  | "grant_use";

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
    for await (const line of linesFromEnd(this.#platform, this.path)) {
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

/** How much of a log is read per step when walking it backwards. */
const TAIL_CHUNK = 64 * 1024;

/**
 * The non-empty lines of a file, newest first, read backwards in 64 KiB slices: the audit log
 * only grows (every `get` that reveals a secret adds a line), and `log -n 50` must not read all
 * of it. The slices come from one open file, so a log rotated meanwhile is still read whole and
 * once. Splitting on the byte 0x0a before decoding is safe in UTF-8, where that byte never occurs
 * inside a multi-byte character, so a character cut by a slice boundary is rejoined intact.
 */
async function* linesFromEnd(platform: Platform, path: string): AsyncGenerator<string> {
  const file = await platform.fs.openRead(path);
  if (file === null) return;
  try {
    // The pieces, oldest first, of the line that the slices read so far start in the middle
    // of. They are joined once its beginning is found, so a long line costs one copy, not one
    // per slice.
    let pending: Uint8Array[] = [];
    const line = (head: Uint8Array) => {
      const text = decoder.decode(concat([head, ...pending])).trim();
      pending = [];
      return text;
    };
    for (let end = file.size; end > 0;) {
      const start = Math.max(0, end - TAIL_CHUNK);
      const slice = await file.read(start, end);
      let stop = slice.length;
      for (let newline = slice.lastIndexOf(NEWLINE, stop - 1); newline !== -1;) {
        const text = line(slice.subarray(newline + 1, stop));
        if (text.length > 0) yield text;
        stop = newline;
        newline = stop > 0 ? slice.lastIndexOf(NEWLINE, stop - 1) : -1;
      }
      if (stop > 0) pending.unshift(slice.slice(0, stop));
      end = start;
    }
    const first = line(new Uint8Array(0));
    if (first.length > 0) yield first;
  } finally {
    file.close();
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
  const lines: string[] = [];
  for await (const line of linesFromEnd(platform, path)) {
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
