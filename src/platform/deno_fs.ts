/**
 * The real file system on Deno: reads, atomic writes, and file locks.
 * Part of the only layer (with `cli.ts`) that touches `Deno.*`.
 *
 * @module
 */
import {
  type FileInfo,
  type FileSystem,
  type HeldLock,
  type PositionalFile,
  SymlinkRefusedError,
} from "./types.ts";

function isNotFound(error: unknown): boolean {
  return error instanceof Deno.errors.NotFound;
}

/**
 * Runs a synchronous read: its result, null when the file does not exist, or the error, as a
 * promise. Small reads are synchronous on purpose: an async fs op costs a thread-pool round trip
 * (~0.2-0.8 ms each, sometimes a multi-millisecond stall), and `get` makes several on every call.
 */
function readSyncOrNull<T>(read: () => T): Promise<T | null> {
  try {
    return Promise.resolve(read());
  } catch (error) {
    return isNotFound(error) ? Promise.resolve(null) : Promise.reject(error);
  }
}

function dirname(path: string): string {
  const i = path.lastIndexOf("/");
  return i <= 0 ? "/" : path.slice(0, i);
}

function randomSuffix(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(6)), (b) => b.toString(16)).join("");
}

async function fsyncDirectory(dir: string): Promise<void> {
  if (Deno.build.os === "windows") return;
  try {
    using handle = await Deno.open(dir, { read: true });
    await handle.sync();
  } catch {
    // Some file systems refuse fsync on directories; the rename itself already happened.
  }
}

/**
 * Opens `path` without following a symbolic link at it (O_NOFOLLOW semantics, which Deno lacks):
 * the path is lstat'ed first and refused if it is a link; a missing file is created with
 * `createNew` (O_EXCL, which never follows a link, dangling or not); and the opened file's
 * device and inode must match what lstat saw, so a link swapped in between is caught too.
 * Throws `NotFound` when the file is missing and `create` is not set.
 */
function openNoFollow(
  path: string,
  options: { read?: boolean; write?: boolean; append?: boolean; create?: boolean; mode?: number },
): Deno.FsFile {
  const { create, ...access } = options;
  for (let attempt = 0;; attempt++) {
    let seen: Deno.FileInfo | null = null;
    try {
      seen = Deno.lstatSync(path);
    } catch (error) {
      if (!isNotFound(error) || !create) throw error;
    }
    if (seen?.isSymlink) throw new SymlinkRefusedError(path);
    if (seen === null) {
      try {
        return Deno.openSync(path, { ...access, createNew: true });
      } catch (error) {
        // Created by someone else meanwhile: look again.
        if (error instanceof Deno.errors.AlreadyExists && attempt < 3) continue;
        throw error;
      }
    }
    const file = Deno.openSync(path, access);
    try {
      const opened = file.statSync();
      if (seen.ino !== null && (opened.ino !== seen.ino || opened.dev !== seen.dev)) {
        throw new SymlinkRefusedError(path);
      }
      return file;
    } catch (error) {
      file.close();
      throw error;
    }
  }
}

/** Positional reads on an open file (the size is taken now). */
function positionalFile(file: Deno.FsFile): PositionalFile {
  const size = file.statSync().size;
  return {
    size,
    read(start, end) {
      const buffer = new Uint8Array(Math.max(0, end - start));
      file.seekSync(start, Deno.SeekMode.Start);
      let filled = 0;
      while (filled < buffer.length) {
        const n = file.readSync(buffer.subarray(filled));
        if (n === null || n === 0) break;
        filled += n;
      }
      return Promise.resolve(buffer.subarray(0, filled));
    },
    close() {
      file.close();
    },
  };
}

/** File-system operations on the real disk. */
export const denoFileSystem: FileSystem = {
  readFile(path) {
    return readSyncOrNull(() => Deno.readFileSync(path));
  },

  readTextFile(path) {
    return readSyncOrNull(() => Deno.readTextFileSync(path));
  },

  async writeFileAtomic(path, data, { mode, backupPath }) {
    const dir = dirname(path);
    const temp = `${dir}/.${path.slice(dir.length + 1)}.${Deno.pid}.${randomSuffix()}.tmp`;
    try {
      {
        using file = await Deno.open(temp, { write: true, createNew: true, mode });
        let written = 0;
        while (written < data.length) written += await file.write(data.subarray(written));
        await file.sync();
      }
      // createNew honours the umask; make the mode exact.
      if (Deno.build.os !== "windows") await Deno.chmod(temp, mode);
      if (backupPath) {
        const backupTemp = `${backupPath}.${Deno.pid}.${randomSuffix()}.tmp`;
        try {
          await Deno.link(path, backupTemp);
          await Deno.rename(backupTemp, backupPath);
        } catch (error) {
          await Deno.remove(backupTemp).catch(() => {});
          if (!isNotFound(error)) throw error;
        }
      }
      await Deno.rename(temp, path);
    } catch (error) {
      await Deno.remove(temp).catch(() => {});
      throw error;
    }
    await fsyncDirectory(dir);
  },

  async overwrite(path, data) {
    // Synchronous open and write: the bytes reach the page cache (and survive a kill -9) without
    // waiting for a thread-pool round trip; only the fsync is asynchronous. Never through a link.
    using file = openNoFollow(path, { write: true });
    let written = 0;
    while (written < data.length) written += file.writeSync(data.subarray(written));
    await file.syncData();
  },

  appendFile(path, data, { mode }) {
    try {
      using file = openNoFollow(path, { append: true, create: true, mode });
      let written = 0;
      while (written < data.length) written += file.writeSync(data.subarray(written));
      return Promise.resolve();
    } catch (error) {
      return Promise.reject(error);
    }
  },

  async ensureDir(path, mode) {
    try {
      const info = Deno.statSync(path);
      if (info.isDirectory) return;
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
    await Deno.mkdir(path, { recursive: true, mode });
    if (Deno.build.os !== "windows") await Deno.chmod(path, mode);
  },

  stat(path): Promise<FileInfo | null> {
    return readSyncOrNull(() => {
      const info = Deno.statSync(path);
      return {
        isFile: info.isFile,
        isDirectory: info.isDirectory,
        size: info.size,
        mode: info.mode === null ? null : info.mode & 0o777,
        uid: info.uid,
      };
    });
  },

  async chmod(path, mode) {
    if (Deno.build.os === "windows") return;
    // chmod follows links, and there is no lchmod: a planted link would have us loosen or
    // tighten a file of someone's choice.
    if (Deno.lstatSync(path).isSymlink) throw new SymlinkRefusedError(path);
    await Deno.chmod(path, mode);
  },

  async remove(path) {
    try {
      await Deno.remove(path);
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  },

  async rename(from, to) {
    await Deno.rename(from, to);
  },

  async readDir(path) {
    const names: string[] = [];
    try {
      for await (const entry of Deno.readDir(path)) names.push(entry.name);
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
    return names.sort();
  },

  openRead(path): Promise<PositionalFile | null> {
    return readSyncOrNull(() => {
      const file = openNoFollow(path, { read: true });
      try {
        return positionalFile(file);
      } catch (error) {
        file.close();
        throw error;
      }
    });
  },

  async lock(path, timeoutMs, signal): Promise<HeldLock | null> {
    signal?.throwIfAborted();
    const file = openNoFollow(path, { read: true, write: true, create: true, mode: 0o600 });
    const deadline = Date.now() + timeoutMs;
    let delay = 5;
    try {
      // Poll tryLock rather than block: blocking lock() calls occupy Deno's blocking thread
      // pool, and many waiters in one process can starve every other file operation.
      while (!file.tryLockSync(true)) {
        if (Date.now() >= deadline) {
          file.close();
          return null;
        }
        const jitter = Math.random() * delay;
        await pause(Math.min(delay + jitter, 200), signal);
        delay = Math.min(delay * 2, 100);
      }
    } catch (error) {
      file.close();
      throw error;
    }
    let released = false;
    return {
      release() {
        if (released) return Promise.resolve();
        released = true;
        try {
          file.unlockSync();
        } finally {
          file.close();
        }
        return Promise.resolve();
      },
    };
  },
};

/** Waits `ms`, or rejects with the signal's reason as soon as it aborts. */
function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  if (!signal) return new Promise((resolve) => setTimeout(resolve, ms));
  signal.throwIfAborted();
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
