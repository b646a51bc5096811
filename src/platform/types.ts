/**
 * The platform: everything authsome needs from the outside world (files, locks, clock,
 * randomness, environment, terminal, network). The core takes a {@linkcode Platform} and never
 * touches `Deno.*`, so tests can swap the clock, the randomness, the environment and the
 * terminal for fakes. `deno.ts` beside this file is the only real implementation.
 *
 * @module
 */
import { HomeUnavailableError } from "../errors.ts";
import type { GateLimits } from "./connection_gate.ts";

/** File metadata the core cares about. */
export interface FileInfo {
  isFile: boolean;
  isDirectory: boolean;
  size: number;
  /** Permission bits (`mode & 0o777`), or null where the OS has none (Windows). */
  mode: number | null;
  /** The owner's user id; null or absent where the OS has none (Windows) or it is unknown. */
  uid?: number | null;
}

/** A held advisory lock. */
export interface HeldLock {
  release(): Promise<void>;
}

/** File-system operations. Paths are absolute. Missing files give `null`, not exceptions. */
export interface FileSystem {
  readFile(path: string): Promise<Uint8Array | null>;
  readTextFile(path: string): Promise<string | null>;
  /**
   * Atomic replace: temp file in the same directory, fsync, rename, fsync the directory.
   * With `backupPath`, the previous file (if any) is kept there (via a hard link, so the
   * target path always exists for concurrent readers).
   */
  writeFileAtomic(
    path: string,
    data: Uint8Array,
    options: { mode: number; backupPath?: string },
  ): Promise<void>;
  /**
   * Overwrites the start of an existing file in place (no truncation) and fsyncs it. Writing
   * over bytes the file already holds needs no new disk blocks, so it works on a full disk.
   * Refuses a symbolic link at `path`, like `appendFile`.
   */
  overwrite(path: string, data: Uint8Array): Promise<void>;
  /**
   * Appends in one write with O_APPEND; creates the file with `mode` if missing. Like
   * {@linkcode FileSystem.lock} and {@linkcode FileSystem.openRead}, it refuses (rejects with
   * {@linkcode SymlinkRefusedError}) when `path` is a symbolic link: another local user who can
   * plant one must not make us write to, or read, a file of their choice.
   */
  appendFile(path: string, data: Uint8Array, options: { mode: number }): Promise<void>;
  /** Creates the directory (and parents) with `mode` if missing. */
  ensureDir(path: string, mode: number): Promise<void>;
  stat(path: string): Promise<FileInfo | null>;
  /** Sets the mode; refuses (like `appendFile`) a symbolic link at `path`. */
  chmod(path: string, mode: number): Promise<void>;
  /** Removes a file; no error if it is already gone. */
  remove(path: string): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  /** Names of the entries of a directory; empty if it does not exist. */
  readDir(path: string): Promise<string[]>;
  /**
   * Takes an exclusive advisory lock on `path` (created 0600 if missing), polling until
   * `timeoutMs` passes. Resolves `null` on timeout. The kernel drops it if the process dies.
   * When `signal` aborts, stops waiting and rejects with the signal's reason.
   */
  lock(path: string, timeoutMs: number, signal?: AbortSignal): Promise<HeldLock | null>;
  /**
   * Opens a file for reads at any offset, or resolves null if it does not exist. Reads go
   * through the one open file, so they see the same file even if the path is renamed meanwhile.
   */
  openRead(path: string): Promise<PositionalFile | null>;
}

/**
 * Raised instead of following a symbolic link at a path we append to, lock or read logs from.
 * Nothing authsome writes is a link, so one there was planted: exit 7, and the fix removes it.
 */
export class SymlinkRefusedError extends HomeUnavailableError {
  override name = "SymlinkRefusedError";
  /** The link. */
  readonly path: string;
  /** Creates the error for the link at `path`. */
  constructor(path: string) {
    super(`${path} is a symbolic link, which authsome never creates; refusing to follow it`, {
      hint: `ls -l ${path}   # see where it points, then remove it: rm ${path}`,
    });
    this.path = path;
  }
}

/** A file opened by {@linkcode FileSystem.openRead}. Close it when done. */
export interface PositionalFile {
  /** The size when it was opened. */
  readonly size: number;
  /** Bytes `start` (inclusive) to `end` (exclusive); fewer if the file has shrunk. */
  read(start: number, end: number): Promise<Uint8Array>;
  close(): void;
}

/** Wall-clock time and waiting. */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  sleep(ms: number): Promise<void>;
}

/** The terminal and standard streams. */
export interface Terminal {
  readonly stdinIsTerminal: boolean;
  readonly stdoutIsTerminal: boolean;
  readonly stderrIsTerminal: boolean;
  writeStdout(text: string): void;
  writeStderr(text: string): void;
  /** Reads all of standard input (when it is not a terminal). */
  readStdin(): Promise<string>;
  /**
   * Prompts on stderr and reads a line from the terminal without echoing it (shows `*`).
   * Rejects with `InterruptedError` on Ctrl-C.
   */
  readMasked(prompt: string): Promise<string>;
  /** Prompts on stderr and reads one visible line from the terminal. */
  readLine(prompt: string): Promise<string>;
}

/** A running loopback HTTP server. */
export interface LocalServer {
  /** The port it listens on (useful with port 0). */
  readonly port: number;
  /** Stops listening and waits for in-flight requests. */
  close(): Promise<void>;
}

/** A two-way byte stream (a socket, or TLS spoken over one). */
export interface ByteStream {
  readonly readable: ReadableStream<Uint8Array>;
  readonly writable: WritableStream<Uint8Array>;
  close(): void;
}

/** A TCP connection as byte streams. */
export interface TcpConnection extends ByteStream {
  /** Our end's port. */
  readonly localPort: number;
}

/** An HTTP proxy to reach a destination through (with CONNECT). */
export interface UpstreamProxy {
  hostname: string;
  port: number;
  /** `Proxy-Authorization` value, if the proxy wants one. */
  authorization?: string;
}

/** A TCP listener on a loopback address. */
export interface TcpListener {
  readonly port: number;
  /** Accepted connections until `close()`. */
  accept(): AsyncIterable<TcpConnection>;
  close(): void;
}

/** Options of {@linkcode Platform.serve}. */
export interface ServeOptions {
  /** Always a loopback address: `127.0.0.1` unless a test says otherwise. */
  hostname: string;
  /** 0 picks a free port. */
  port: number;
  signal?: AbortSignal;
  /**
   * Caps on connections (count, idle time, lifetime) for a long-lived server: connections then
   * go through a gate in front of the HTTP server, and accept errors (EMFILE) never stop it.
   */
  limits?: GateLimits;
  /**
   * With `limits`: the Unix socket between the gate and the HTTP server, in a private
   * directory that lives as long as the server (a temp directory may be cleaned under a
   * long-lived daemon). A leftover socket there is replaced. Default: a new temp directory.
   */
  relaySocket?: string;
}

/** Everything the core needs from the outside. */
export interface Platform {
  fs: FileSystem;
  clock: Clock;
  terminal: Terminal;
  /** Environment variable, or undefined. */
  env(name: string): string | undefined;
  /** Cryptographically secure random bytes. */
  randomBytes(length: number): Uint8Array;
  /** The user's home directory, for the default `~/.authsome`. */
  userHome(): string | undefined;
  /** Current process id (for audit entries). */
  pid: number;
  /**
   * The user id this process runs as; null (or absent, in older fakes) where the OS has none
   * (Windows), which skips the ownership checks of the home and of provider files.
   */
  userId?(): number | null;
  /** `linux`, `darwin` or `windows`. */
  os: string;
  /** HTTP client for authorization servers (honours HTTP(S)_PROXY like Deno's fetch). */
  fetch: typeof fetch;
  /** Serves HTTP on a loopback address (OAuth callback, secret form, daemon). */
  serve(
    options: ServeOptions,
    handler: (request: Request) => Response | Promise<Response>,
  ): Promise<LocalServer>;
  /**
   * Opens a URL for the user: the command in `AUTHSOME_BROWSER` (`none` prints only), else the
   * system opener. Resolves false when nothing could be opened; never throws.
   */
  openBrowser(url: string): Promise<boolean>;
  /** Calls `listener` on SIGINT (Ctrl-C); returns a function that removes it. */
  onInterrupt(listener: () => void): () => void;
  /** Every environment variable of this process. */
  envAll(): Record<string, string>;
  /**
   * Runs `command` with inherited stdio and exactly `env` as its environment, forwarding
   * SIGINT and SIGTERM to it. Resolves its exit code (128 + n when killed by signal n).
   * Rejects with `Deno.errors.NotFound`-like errors as `{ notFound: true }` when the program
   * does not exist.
   */
  runChild(command: string[], options: { env: Record<string, string> }): Promise<number>;
  /**
   * Runs a short command (`node --version`) with stdin closed and resolves its standard output,
   * or null when it cannot start, fails, or outlives `timeoutMs`.
   */
  programOutput?(command: string[], timeoutMs: number): Promise<string | null>;
  /**
   * Sends one HTTP/1.1 request (raw bytes, `Connection: close`) to `127.0.0.1:<port>` and
   * resolves the raw response bytes once the server closes the connection. Never goes through
   * a proxy. Rejects on connection failure, on a response over 1 MiB, or after `timeoutMs`.
   */
  loopbackRequest(port: number, request: Uint8Array, timeoutMs: number): Promise<Uint8Array>;
  /**
   * Starts `command` in a new session (it survives this process and its terminal) with stdin
   * closed (or fed `stdin`, then closed) and stdout/stderr appended to `logPath`. With `env`,
   * that is its whole environment. `exited` resolves its exit code, if it ends while this
   * process still runs.
   */
  spawnDetached(
    command: string[],
    options: { logPath: string; stdin?: string; env?: Record<string, string> },
  ): DetachedProcess;
  /** Sends a signal; false when no such process exists. */
  signalProcess(pid: number, signal: "SIGTERM" | "SIGKILL"): boolean;
  /** Calls `listener` on SIGINT, SIGTERM or SIGHUP; returns a function that removes it. */
  onTerminate(listener: (signal: string) => void): () => void;
  /** The argv that runs this program again (the compiled binary, or deno + main module). */
  selfCommand(): string[];
  /** Listens for TCP on a loopback address (the `run` proxy). */
  listenTcp(hostname: string, port: number): TcpListener;
  /** Opens a TCP connection, directly or through an HTTP proxy (`via`, with CONNECT). */
  connectTcp(
    hostname: string,
    port: number,
    options?: { via?: UpstreamProxy | null },
  ): Promise<TcpConnection>;
  /**
   * Opens a verified TLS connection (HTTP/1.1) to `hostname:port`, trusting `caCerts` besides
   * the default roots, directly or through an HTTP proxy (`via`). Resolves after the handshake.
   */
  connectTls(
    hostname: string,
    port: number,
    options: { caCerts: string[]; via?: UpstreamProxy | null },
  ): Promise<TcpConnection>;
  /**
   * Speaks TLS as the server (HTTP/1.1) over a stream already held, with the given PEM
   * certificate chain and key; resolves the decrypted stream after the handshake.
   */
  acceptTls(stream: ByteStream, options: { cert: string; key: string }): Promise<ByteStream>;
  /** Creates a temporary file with `content` (mode 0600) and returns its path. */
  makeTempFile(prefix: string, content: string): Promise<string>;
}

/** A background process started by {@linkcode Platform.spawnDetached}. */
export interface DetachedProcess {
  pid: number;
  exited: Promise<number>;
}
