/**
 * The audit log (docs/contract.md §7): `<home>/audit.log`, one JSON object per line, append-only,
 * 0600. This class is its only writer. Each append takes `<home>/audit.log.lock`, so lines from
 * concurrent processes never interleave, and {@linkcode AuditLog.append} encodes the line while
 * that lock is held: each entry carries `seq` and `prev`, the SHA-256 of the previous line (see
 * `chain.ts`), found by reading only the last line (the tail slice, not the whole log).
 *
 * Size policy: when an append would take `audit.log` past `maxBytes` (10 MiB), the files shift
 * (`audit.log` -> `audit.log.1` -> ... -> `audit.log.<keep>`, the oldest dropped) under the same
 * lock, and the first entry of the new `audit.log` points at the last one of `audit.log.1`, so
 * the chain runs across the kept files. Readers walk them newest first.
 *
 * Entries hold metadata, never secrets; as defence in depth a field with a secret name (such as
 * `access_token`) lands as `[redacted]` whatever a caller passes, and the exact values of the
 * secrets this process loaded are masked. (Not the debug log's token-shape patterns: entries are
 * built from our own fields, and compiling those patterns would cost every `get` ~1.5 ms.)
 *
 * @module
 */
import { AuthsomeError, HomeUnavailableError } from "../errors.ts";
import { assertSafeHome } from "../model/home.ts";
import { isSecretKey } from "../model/secret_names.ts";
import { knownSecretValues } from "../model/secret.ts";
import { isoTimestamp } from "../model/timestamp.ts";
import { concat } from "../platform/bytes.ts";
import type { Platform, PositionalFile } from "../platform/types.ts";
import { type ChainReport, ChainVerifier, nextLink } from "./chain.ts";

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
  | "import"
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
/** `audit.log` is rotated before it grows past this. */
export const DEFAULT_AUDIT_MAX_BYTES = 10 * 1024 * 1024;
/** Rotated files kept (`audit.log.1` ... `audit.log.5`): 60 MiB of history at most. */
export const DEFAULT_AUDIT_KEEP = 5;
/** Readers stop looking for older rotated files here, whatever was kept. */
const MAX_ROTATED_FILES = 100;
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
  readonly #maxBytes: number;
  readonly #keep: number;
  #prepared = false;
  /** Serialises appends within this process, so they queue here rather than poll the lock. */
  #queue: Promise<void> = Promise.resolve();

  constructor(
    platform: Platform,
    home: string,
    options: { lockTimeoutMs?: number; maxBytes?: number; keep?: number } = {},
  ) {
    this.#platform = platform;
    this.#lockTimeoutMs = options.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS;
    this.#maxBytes = options.maxBytes ?? DEFAULT_AUDIT_MAX_BYTES;
    this.#keep = Math.max(1, options.keep ?? DEFAULT_AUDIT_KEEP);
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
        const { last, size } = await this.#lastLine();
        const bytes = encoder.encode(await this.#encode(entry, last));
        if (size > 0 && size + bytes.length > this.#maxBytes) await this.#rotate();
        await fs.appendFile(this.path, bytes, { mode: FILE_MODE });
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
    await assertSafeHome(this.#platform, this.#home);
    const info = await fs.stat(this.path);
    // A log left readable by others is tightened rather than appended to as is.
    if (info && info.mode !== null && (info.mode & 0o077) !== 0) {
      await fs.chmod(this.path, FILE_MODE);
    }
    this.#prepared = true;
  }

  /**
   * The newest line of the history (`audit.log`, or `audit.log.1` right after a rotation), and
   * the size of `audit.log` (0 when missing) from the same open, not a second `stat`.
   */
  async #lastLine(): Promise<{ last: string | null; size: number }> {
    const file = await this.#platform.fs.openRead(this.path);
    const size = file?.size ?? 0;
    if (file) {
      for await (const last of linesOfFileFromEnd(file, LAST_LINE_CHUNK)) return { last, size };
    }
    const older = `${this.path}.1`;
    for await (const last of linesFromEnd(this.#platform, older, LAST_LINE_CHUNK)) {
      return { last, size };
    }
    return { last: null, size };
  }

  /** Shifts `audit.log.<i>` to `.<i+1>` (dropping the oldest) and `audit.log` to `.1`. */
  async #rotate(): Promise<void> {
    const fs = this.#platform.fs;
    await fs.remove(`${this.path}.${this.#keep}`);
    for (let i = this.#keep - 1; i >= 1; i--) {
      const from = `${this.path}.${i}`;
      if (await fs.stat(from)) await fs.rename(from, `${this.path}.${i + 1}`);
    }
    await fs.rename(this.path, `${this.path}.1`);
  }

  /** The line for `entry`, built under the lock, chained to `last`. */
  async #encode(entry: AuditEvent, last: string | null): Promise<string> {
    const { event, provider, connection, status, ...extra } = entry;
    const ordered: Record<string, unknown> = {
      timestamp: isoTimestamp(this.#platform.clock.now()),
      event,
      provider,
      connection,
      status,
    };
    for (const [key, value] of Object.entries(extra)) {
      if (key !== "timestamp" && key !== "seq" && key !== "prev") ordered[key] = value;
    }
    for (const key of Object.keys(ordered)) {
      if (ordered[key] === null || ordered[key] === undefined) delete ordered[key];
    }
    const redacted = sanitize(ordered, [...knownSecretValues()], false) as Record<string, unknown>;
    const { seq, prev } = await nextLink(last);
    return `${JSON.stringify({ ...redacted, seq, prev })}\n`;
  }

  /** The history files that exist, newest first: `audit.log`, `audit.log.1`, ... */
  async #historyFiles(): Promise<string[]> {
    const fs = this.#platform.fs;
    const files = [this.path];
    for (let i = 1; i <= MAX_ROTATED_FILES; i++) {
      const path = `${this.path}.${i}`;
      if (!(await fs.stat(path))) break;
      files.push(path);
    }
    return files;
  }

  /** Lines of the whole kept history, newest first, across rotated files. */
  async *#linesNewestFirst(): AsyncGenerator<string> {
    for (const path of await this.#historyFiles()) yield* linesFromEnd(this.#platform, path);
  }

  /**
   * Checks the hash chain over every kept file, oldest first. The files are opened together
   * under the lock (so a rotation cannot shift them mid-check) and read after it is released
   * (so appends, which every revealed secret makes, do not wait for the whole read).
   */
  async verify(): Promise<ChainReport> {
    await assertSafeHome(this.#platform, this.#home);
    const fs = this.#platform.fs;
    const opened: { name: string; file: PositionalFile }[] = [];
    try {
      const lock = (await fs.stat(this.#home))
        ? await fs.lock(this.#lockPath, this.#lockTimeoutMs)
        : null;
      try {
        for (const path of await this.#historyFiles()) {
          const file = await fs.openRead(path);
          if (file) opened.push({ name: path.slice(this.#home.length + 1), file });
        }
      } finally {
        await lock?.release();
      }
      const verifier = new ChainVerifier();
      for (const { name, file } of opened.reverse()) {
        let number = 0;
        for await (const text of linesFromStart(file)) {
          number++;
          if (text.length > 0) await verifier.add({ file: name, line: number, text });
        }
      }
      return verifier.finish();
    } finally {
      for (const { file } of opened) file.close();
    }
  }

  /** The last `n` entries that parse as JSON objects, oldest first. */
  async tail(n: number): Promise<AuditEntry[]> {
    const count = Math.floor(n);
    if (!(count > 0)) return [];
    await assertSafeHome(this.#platform, this.#home);
    const entries: AuditEntry[] = [];
    for await (const line of this.#linesNewestFirst()) {
      const entry = parseEntry(line);
      if (entry === null) continue;
      entries.push(entry);
      if (entries.length === count) break;
    }
    return entries.reverse();
  }

  /** The last `n` non-empty raw lines, oldest first, across rotated files. */
  async tailLines(n: number): Promise<string[]> {
    const count = Math.floor(n);
    if (!(count > 0)) return [];
    const lines: string[] = [];
    for await (const line of this.#linesNewestFirst()) {
      lines.push(line);
      if (lines.length === count) break;
    }
    return lines.reverse();
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
/** An append needs only the last line: entries are ~200 bytes, so one small read finds it. */
const LAST_LINE_CHUNK = 4 * 1024;

/**
 * The non-empty lines of a file, newest first, read backwards in 64 KiB slices: the audit log
 * only grows (every `get` that reveals a secret adds a line), and `log -n 50` must not read all
 * of it. The slices come from one open file, so a log rotated meanwhile is still read whole and
 * once. Splitting on the byte 0x0a before decoding is safe in UTF-8, where that byte never occurs
 * inside a multi-byte character, so a character cut by a slice boundary is rejoined intact.
 */
async function* linesFromEnd(
  platform: Platform,
  path: string,
  chunk = TAIL_CHUNK,
): AsyncGenerator<string> {
  const file = await platform.fs.openRead(path);
  if (file === null) return;
  yield* linesOfFileFromEnd(file, chunk);
}

/** {@linkcode linesFromEnd} of a file already open; closes it when done or abandoned. */
async function* linesOfFileFromEnd(file: PositionalFile, chunk: number): AsyncGenerator<string> {
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
      const start = Math.max(0, end - chunk);
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

/**
 * The lines of an open file, oldest first, each without its newline and trimmed (as
 * {@linkcode linesFromEnd} yields them, so both hash the same text), blank ones included (they
 * keep line numbers right). Read in 1 MiB slices, never the whole file at once.
 */
async function* linesFromStart(file: PositionalFile): AsyncGenerator<string> {
  const slice = 1024 * 1024;
  let pending: Uint8Array[] = [];
  for (let start = 0; start < file.size; start += slice) {
    const bytes = await file.read(start, Math.min(file.size, start + slice));
    let from = 0;
    for (let newline = bytes.indexOf(NEWLINE); newline !== -1;) {
      yield decoder.decode(concat([...pending, bytes.subarray(from, newline)])).trim();
      pending = [];
      from = newline + 1;
      newline = bytes.indexOf(NEWLINE, from);
    }
    if (from < bytes.length) pending.push(bytes.slice(from));
  }
  if (pending.length > 0) yield decoder.decode(concat(pending)).trim();
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
