/**
 * A size-rotating log file (docs/contract.md §3, §7): `authsome.log`, rotated to `authsome.log.1` …
 * `.5` when the next write would pass the size limit, like Python's `RotatingFileHandler`.
 * Several authsome processes may share the file: appends are single `O_APPEND` writes, and
 * rotation happens under `<path>.lock` with the size checked again once the lock is held, so
 * two processes that both saw a full file rotate it only once.
 *
 * @module
 */
import type { Platform } from "../platform/types.ts";

/** 10 MiB. */
export const DEFAULT_MAX_BYTES = 10 * 1024 * 1024;
export const DEFAULT_KEEP = 5;
const FILE_MODE = 0o600;
const DIR_MODE = 0o700;
/** Rotation is a handful of renames; a lock held longer than this belongs to a stuck process. */
const DEFAULT_LOCK_TIMEOUT_MS = 2_000;

const encoder = new TextEncoder();

/** Where and how to rotate. */
export interface RotatingFileOptions {
  /** Absolute path of the live file, e.g. `<home>/logs/authsome.log`. */
  path: string;
  /** Rotate when the next write would make the live file larger than this. */
  maxBytes?: number;
  /** How many rotated files to keep (`.1` is the newest). */
  keep?: number;
  lockTimeoutMs?: number;
}

function dirname(path: string): string {
  const i = path.lastIndexOf("/");
  return i <= 0 ? "/" : path.slice(0, i);
}

/** Appends text to a log file, rotating it by size. Writes are serialised within a process. */
export class RotatingFile {
  readonly path: string;
  readonly #platform: Platform;
  readonly #maxBytes: number;
  readonly #keep: number;
  readonly #lockTimeoutMs: number;
  #prepared = false;
  #queue: Promise<void> = Promise.resolve();

  constructor(platform: Platform, options: RotatingFileOptions) {
    this.#platform = platform;
    this.path = options.path;
    this.#maxBytes = Math.max(1, options.maxBytes ?? DEFAULT_MAX_BYTES);
    this.#keep = Math.max(0, Math.floor(options.keep ?? DEFAULT_KEEP));
    this.#lockTimeoutMs = options.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS;
  }

  /**
   * Appends `text` in one write, rotating first if it would not fit. Rejects when the
   * file cannot be written; the logger decides what a failure means.
   */
  write(text: string): Promise<void> {
    const data = encoder.encode(text);
    const run = this.#queue.then(() => this.#write(data));
    this.#queue = run.catch(() => {});
    return run;
  }

  async #write(data: Uint8Array): Promise<void> {
    const fs = this.#platform.fs;
    if (!this.#prepared) await this.#prepare();
    if (this.#needsRotation(await fs.stat(this.path), data.length)) await this.#rotate(data.length);
    await fs.appendFile(this.path, data, { mode: FILE_MODE });
  }

  async #prepare(): Promise<void> {
    const fs = this.#platform.fs;
    await fs.ensureDir(dirname(this.path), DIR_MODE);
    const info = await fs.stat(this.path);
    // A file left readable by others (older build, manual copy) is tightened, not trusted.
    if (info && info.mode !== null && (info.mode & 0o077) !== 0) {
      await fs.chmod(this.path, FILE_MODE);
    }
    this.#prepared = true;
  }

  #needsRotation(info: { size: number } | null, incoming: number): boolean {
    // An empty file takes any write, so one oversized line cannot rotate forever.
    return info !== null && info.size > 0 && info.size + incoming > this.#maxBytes;
  }

  async #rotate(incoming: number): Promise<void> {
    const fs = this.#platform.fs;
    const lock = await fs.lock(`${this.path}.lock`, this.#lockTimeoutMs);
    // Without the lock we skip rotating: an oversized log beats a lost or doubly rotated one.
    if (lock === null) return;
    try {
      if (!this.#needsRotation(await fs.stat(this.path), incoming)) return;
      if (this.#keep === 0) {
        await fs.remove(this.path);
        return;
      }
      await fs.remove(`${this.path}.${this.#keep}`);
      for (let i = this.#keep - 1; i >= 1; i--) {
        const from = `${this.path}.${i}`;
        if (await fs.stat(from)) await fs.rename(from, `${this.path}.${i + 1}`);
      }
      await fs.rename(this.path, `${this.path}.1`);
    } finally {
      await lock.release();
    }
  }

  /** Resolves once every write started so far has finished (or failed). */
  flush(): Promise<void> {
    return this.#queue;
  }
}
