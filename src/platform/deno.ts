/**
 * The real platform, on Deno. This file and `cli.ts` are the only places that touch `Deno.*`.
 *
 * @module
 */
import { InterruptedError } from "../errors.ts";
import type {
  FileInfo,
  FileSystem,
  HeldLock,
  LocalServer,
  Platform,
  ServeOptions,
  TcpConnection,
  TcpListener,
  Terminal,
} from "./types.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function isNotFound(error: unknown): boolean {
  return error instanceof Deno.errors.NotFound;
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

/** File-system operations on the real disk. */
export const denoFileSystem: FileSystem = {
  // Small reads are synchronous on purpose: an async fs op costs a thread-pool round trip
  // (~0.2-0.8 ms each), and `get` makes several of them on every call.
  readFile(path) {
    try {
      return Promise.resolve(Deno.readFileSync(path));
    } catch (error) {
      if (isNotFound(error)) return Promise.resolve(null);
      return Promise.reject(error);
    }
  },

  readTextFile(path) {
    try {
      return Promise.resolve(Deno.readTextFileSync(path));
    } catch (error) {
      if (isNotFound(error)) return Promise.resolve(null);
      return Promise.reject(error);
    }
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

  appendFile(path, data, { mode }) {
    try {
      using file = Deno.openSync(path, { append: true, create: true, mode });
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
    try {
      const info = Deno.statSync(path);
      return Promise.resolve({
        isFile: info.isFile,
        isDirectory: info.isDirectory,
        size: info.size,
        mode: info.mode === null ? null : info.mode & 0o777,
      });
    } catch (error) {
      if (isNotFound(error)) return Promise.resolve(null);
      return Promise.reject(error);
    }
  },

  async chmod(path, mode) {
    if (Deno.build.os !== "windows") await Deno.chmod(path, mode);
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

  async lock(path, timeoutMs): Promise<HeldLock | null> {
    const file = Deno.openSync(path, { read: true, write: true, create: true, mode: 0o600 });
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
        await new Promise((resolve) => setTimeout(resolve, Math.min(delay + jitter, 200)));
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

async function readMaskedLine(prompt: string): Promise<string> {
  Deno.stderr.writeSync(encoder.encode(prompt));
  Deno.stdin.setRaw(true);
  const chars: string[] = [];
  const buffer = new Uint8Array(64);
  try {
    while (true) {
      const n = await Deno.stdin.read(buffer);
      if (n === null) break;
      for (const ch of decoder.decode(buffer.subarray(0, n))) {
        if (ch === "\u0003") throw new InterruptedError("Cancelled.");
        if (ch === "\r" || ch === "\n" || ch === "\u0004") return chars.join("");
        if (ch === "\u007f" || ch === "\b") {
          if (chars.length > 0) {
            chars.pop();
            Deno.stderr.writeSync(encoder.encode("\b \b"));
          }
          continue;
        }
        if (ch < " ") continue;
        chars.push(ch);
        Deno.stderr.writeSync(encoder.encode("*"));
      }
    }
    return chars.join("");
  } finally {
    Deno.stdin.setRaw(false);
    Deno.stderr.writeSync(encoder.encode("\n"));
  }
}

async function readVisibleLine(prompt: string): Promise<string> {
  Deno.stderr.writeSync(encoder.encode(prompt));
  const bytes: number[] = [];
  const buffer = new Uint8Array(1);
  while (true) {
    const n = await Deno.stdin.read(buffer);
    if (n === null) {
      if (bytes.length === 0) throw new InterruptedError("Cancelled.");
      break;
    }
    if (buffer[0] === 10) break;
    bytes.push(buffer[0]);
  }
  return decoder.decode(new Uint8Array(bytes)).replace(/\r$/, "");
}

function writeAll(stream: { writeSync(p: Uint8Array): number }, text: string): void {
  const data = encoder.encode(text);
  let written = 0;
  while (written < data.length) {
    try {
      written += stream.writeSync(data.subarray(written));
    } catch (error) {
      // A closed pipe (`authsome log | head`) is not our failure.
      if (error instanceof Deno.errors.BrokenPipe) return;
      throw error;
    }
  }
}

/** The real terminal. */
export const denoTerminal: Terminal = {
  stdinIsTerminal: Deno.stdin.isTerminal(),
  stdoutIsTerminal: Deno.stdout.isTerminal(),
  stderrIsTerminal: Deno.stderr.isTerminal(),
  writeStdout: (text) => writeAll(Deno.stdout, text),
  writeStderr: (text) => writeAll(Deno.stderr, text),
  async readStdin() {
    const chunks: Uint8Array[] = [];
    for await (const chunk of Deno.stdin.readable) chunks.push(chunk);
    return decoder.decode(concat(chunks));
  },
  readMasked: readMaskedLine,
  readLine: readVisibleLine,
};

function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

async function serve(
  options: ServeOptions,
  handler: (request: Request) => Response | Promise<Response>,
): Promise<LocalServer> {
  const { promise: listening, resolve } = Promise.withResolvers<number>();
  const server = Deno.serve({
    hostname: options.hostname,
    port: options.port,
    signal: options.signal,
    onListen: ({ port }) => resolve(port),
  }, handler);
  const port = await listening;
  return {
    port,
    async close() {
      await server.shutdown();
    },
  };
}

function systemOpener(os: string): string[] | null {
  if (os === "darwin") return ["open"];
  if (os === "windows") return ["cmd", "/c", "start", ""];
  return ["xdg-open"];
}

function openBrowser(url: string): Promise<boolean> {
  const configured = Deno.env.get("AUTHSOME_BROWSER");
  if (configured === "none") return Promise.resolve(false);
  const command = configured ? configured.split(" ").filter(Boolean) : systemOpener(Deno.build.os);
  if (!command || command.length === 0) return Promise.resolve(false);
  try {
    const child = new Deno.Command(command[0], {
      args: [...command.slice(1), url],
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    // A browser launcher may keep running; only a quick failure to start counts.
    child.unref();
    return Promise.resolve(true);
  } catch {
    return Promise.resolve(false);
  }
}

function onInterrupt(listener: () => void): () => void {
  if (Deno.build.os === "windows") return () => {};
  Deno.addSignalListener("SIGINT", listener);
  return () => Deno.removeSignalListener("SIGINT", listener);
}

const SIGNAL_NUMBERS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };

async function runChild(
  command: string[],
  options: { env: Record<string, string> },
): Promise<number> {
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(command[0], {
      args: command.slice(1),
      env: options.env,
      clearEnv: true,
      stdin: "inherit",
      stdout: "inherit",
      stderr: "inherit",
    }).spawn();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) throw { notFound: true, program: command[0] };
    throw error;
  }
  const forwarded: [Deno.Signal, () => void][] = [];
  if (Deno.build.os !== "windows") {
    for (const signal of ["SIGINT", "SIGTERM"] as const) {
      const forward = () => {
        try {
          child.kill(signal);
        } catch {
          // Already gone.
        }
      };
      Deno.addSignalListener(signal, forward);
      forwarded.push([signal, forward]);
    }
  }
  try {
    const status = await child.status;
    if (status.signal) return 128 + (SIGNAL_NUMBERS[status.signal] ?? 0);
    return status.code;
  } finally {
    for (const [signal, forward] of forwarded) Deno.removeSignalListener(signal, forward);
  }
}

const MAX_LOOPBACK_RESPONSE = 1 << 20;

/**
 * Raw HTTP/1.1 over a TCP socket to 127.0.0.1, rather than `fetch`: Deno's fetch honours
 * HTTP(S)_PROXY even for loopback addresses (the daemon's bearer token would go to the proxy),
 * and in a fresh process the first fetch costs ~8 ms of set-up against ~1 ms for a socket.
 */
async function loopbackRequest(
  port: number,
  request: Uint8Array,
  timeoutMs: number,
): Promise<Uint8Array> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  let timedOut = false;
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    conn.close();
  };
  // Closing the socket makes a pending read or write fail, which ends the exchange.
  const timer = setTimeout(() => {
    timedOut = true;
    close();
  }, timeoutMs);
  try {
    let written = 0;
    while (written < request.length) written += await conn.write(request.subarray(written));
    const chunks: Uint8Array[] = [];
    let size = 0;
    const buffer = new Uint8Array(16 * 1024);
    while (true) {
      const n = await conn.read(buffer);
      if (n === null) break;
      size += n;
      if (size > MAX_LOOPBACK_RESPONSE) throw new Error("response too large");
      chunks.push(buffer.slice(0, n));
    }
    return concat(chunks);
  } catch (error) {
    if (timedOut) throw new Error(`no answer within ${timeoutMs} ms`);
    throw error;
  } finally {
    clearTimeout(timer);
    close();
  }
}

function spawnDetached(command: string[], options: { logPath: string }) {
  const unix = Deno.build.os !== "windows";
  // Deno cannot point a child's stdio at a file, so on Unix a shell appends stdout and stderr
  // to the log and then execs the program (keeping the pid). Windows gets no log file.
  const argv = unix
    ? ["/bin/sh", "-c", 'log=$1; shift; exec "$@" >>"$log" 2>&1', "sh", options.logPath, ...command]
    : command;
  const child = new Deno.Command(argv[0], {
    args: argv.slice(1),
    stdin: "null",
    stdout: "null",
    stderr: "null",
    // A new session: no controlling terminal, so closing it (SIGHUP) or Ctrl-C there does not
    // reach the daemon.
    detached: true,
  }).spawn();
  child.unref();
  return { pid: child.pid, exited: child.status.then((status) => status.code) };
}

function signalProcess(pid: number, signal: "SIGTERM" | "SIGKILL"): boolean {
  try {
    Deno.kill(pid, signal);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

function onTerminate(listener: (signal: string) => void): () => void {
  const signals: Deno.Signal[] = Deno.build.os === "windows"
    ? ["SIGINT", "SIGBREAK"]
    : ["SIGINT", "SIGTERM", "SIGHUP"];
  const handlers = signals.map((signal) => [signal, () => listener(signal)] as const);
  for (const [signal, handler] of handlers) Deno.addSignalListener(signal, handler);
  return () => {
    for (const [signal, handler] of handlers) Deno.removeSignalListener(signal, handler);
  };
}

function selfCommand(): string[] {
  if (Deno.build.standalone) return [Deno.execPath()];
  // No config or lock file: the child must not pick up (or write) the ones of whatever
  // directory the user happened to start it from.
  return [Deno.execPath(), "run", "-A", "--no-config", "--no-lock", Deno.mainModule];
}

function wrapConnection(conn: Deno.Conn): TcpConnection {
  return {
    readable: conn.readable,
    writable: conn.writable,
    close() {
      try {
        conn.close();
      } catch {
        // Already closed by the peer or by a finished pipe.
      }
    },
  };
}

function listenTcp(hostname: string, port: number): TcpListener {
  const listener = Deno.listen({ hostname, port, transport: "tcp" });
  return {
    port: (listener.addr as Deno.NetAddr).port,
    async *accept() {
      try {
        for await (const conn of listener) yield wrapConnection(conn);
      } catch (error) {
        if (!(error instanceof Deno.errors.BadResource)) throw error;
      }
    },
    close() {
      try {
        listener.close();
      } catch {
        // Already closed.
      }
    },
  };
}

async function serveTls(
  options: ServeOptions & { cert: string; key: string },
  handler: (request: Request) => Response | Promise<Response>,
): Promise<LocalServer> {
  const { promise: listening, resolve } = Promise.withResolvers<number>();
  const server = Deno.serve({
    hostname: options.hostname,
    port: options.port,
    cert: options.cert,
    key: options.key,
    signal: options.signal,
    onListen: ({ port }) => resolve(port),
  }, handler);
  const port = await listening;
  return {
    port,
    async close() {
      await server.shutdown();
    },
  };
}

/** The platform of the running Deno process. */
export function denoPlatform(): Platform {
  return {
    fs: denoFileSystem,
    clock: {
      now: () => Date.now(),
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    },
    terminal: denoTerminal,
    env: (name) => Deno.env.get(name),
    randomBytes: (length) => crypto.getRandomValues(new Uint8Array(length)),
    userHome: () => Deno.env.get("HOME") ?? Deno.env.get("USERPROFILE"),
    pid: Deno.pid,
    os: Deno.build.os,
    fetch: (input, init) => fetch(input, init),
    serve,
    openBrowser,
    onInterrupt,
    envAll: () => Deno.env.toObject(),
    runChild,
    loopbackRequest,
    spawnDetached,
    signalProcess,
    onTerminate,
    selfCommand,
    listenTcp,
    connectTcp: async (hostname, port) => wrapConnection(await Deno.connect({ hostname, port })),
    serveTls,
    async makeTempFile(prefix, content) {
      const path = await Deno.makeTempFile({ prefix });
      await Deno.chmod(path, 0o600);
      await Deno.writeTextFile(path, content);
      return path;
    },
  };
}
