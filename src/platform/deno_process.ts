/**
 * Processes and signals on Deno: children, daemons, signal listeners, and the browser.
 * Part of the only layer (with `cli.ts`) that touches `Deno.*`.
 *
 * @module
 */
import type { BrowserOpenerDeps } from "./browser.ts";

/** The command line that starts this program again (used to launch the daemon). */
export function selfCommand(): string[] {
  if (Deno.build.standalone) return [Deno.execPath()];
  // No config or lock file: the child must not pick up (or write) the ones of whatever
  // directory the user happened to start it from.
  return [Deno.execPath(), "run", "-A", "--no-config", "--no-lock", Deno.mainModule];
}

/** How long the private redirect page outlives the opener's start (the browser reads it first). */
const PAGE_LIFETIME_MS = 60_000;
/** Pages still on disk, with their deletion timers. */
const pages = new Map<string, ReturnType<typeof setTimeout>>();

function removePage(path: string): void {
  const timer = pages.get(path);
  if (timer === undefined) return;
  clearTimeout(timer);
  pages.delete(path);
  try {
    // The page sits alone in its own temp directory.
    Deno.removeSync(path.slice(0, path.lastIndexOf("/")), { recursive: true });
  } catch {
    // Already gone.
  }
}

/** Deletes every redirect page still on disk now (at exit; tests). */
export function removeOpenedPages(): void {
  for (const path of [...pages.keys()]) removePage(path);
}

let opener: ((url: string) => Promise<boolean>) | null = null;

/** Opens `url` in the user's browser (or `AUTHSOME_BROWSER`); false if it could not start. */
export async function openBrowser(url: string): Promise<boolean> {
  // Only logins open a browser: the opener is loaded then, not on every start-up.
  const { createBrowserOpener } = await import("./browser.ts");
  opener ??= createBrowserOpener(OPENER_DEPS);
  return await opener(url);
}

/** Writes `text` to a child's stdin and closes it, in the background; a failure is ignored. */
function feedStdin(stdin: WritableStream<Uint8Array>, text: string): void {
  const writer = stdin.getWriter();
  writer.write(new TextEncoder().encode(text)).then(() => writer.close()).catch(() => {});
}

const OPENER_DEPS: BrowserOpenerDeps = {
  env: (name) => Deno.env.get(name),
  os: Deno.build.os,
  async writePrivatePage(html) {
    const dir = await Deno.makeTempDir({ prefix: "authsome-open-" });
    if (Deno.build.os !== "windows") await Deno.chmod(dir, 0o700);
    const path = `${dir}/open.html`;
    await Deno.writeTextFile(path, html, { createNew: true, mode: 0o600 });
    return path;
  },
  forgetPage(path) {
    if (pages.size === 0) globalThis.addEventListener("unload", removeOpenedPages);
    const timer = setTimeout(() => removePage(path), PAGE_LIFETIME_MS);
    Deno.unrefTimer(timer);
    pages.set(path, timer);
  },
  spawn(argv, stdin) {
    const child = new Deno.Command(argv[0], {
      args: argv.slice(1),
      stdin: "piped",
      stdout: "null",
      stderr: "null",
    }).spawn();
    // A browser launcher may keep running; only a quick failure to start counts.
    child.unref();
    // A launcher that does not read its input (xdg-open) may exit first: that is fine.
    feedStdin(child.stdin, stdin);
    return true;
  },
};

/** Runs a short command and resolves its stdout; null when it fails or is too slow. */
export async function programOutput(command: string[], timeoutMs: number): Promise<string | null> {
  try {
    const out = await new Deno.Command(command[0], {
      args: command.slice(1),
      stdin: "null",
      stdout: "piped",
      stderr: "null",
      signal: AbortSignal.timeout(timeoutMs),
    }).output();
    return out.success ? new TextDecoder().decode(out.stdout) : null;
  } catch {
    return null;
  }
}

/** Calls `listener` on Ctrl-C; returns a function that removes it. */
export function onInterrupt(listener: () => void): () => void {
  if (Deno.build.os === "windows") return () => {};
  Deno.addSignalListener("SIGINT", listener);
  return () => Deno.removeSignalListener("SIGINT", listener);
}

const SIGNAL_NUMBERS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };

/**
 * Runs `command` in the foreground with exactly `env`, forwarding SIGINT and SIGTERM to it.
 * Resolves to its exit code (128 + signal number if a signal ended it).
 */
export async function runChild(
  command: string[],
  options: { env: Record<string, string> },
): Promise<number> {
  // Listen before spawning: a signal that arrives while the child starts must still reach it
  // (and must not kill us with the default action, orphaning the child).
  let child: Deno.ChildProcess | null = null;
  const pending: Deno.Signal[] = [];
  const deliver = (signal: Deno.Signal) => {
    try {
      child!.kill(signal);
    } catch {
      // Already gone.
    }
  };
  const forwarded: [Deno.Signal, () => void][] = [];
  if (Deno.build.os !== "windows") {
    for (const signal of ["SIGINT", "SIGTERM"] as const) {
      const forward = () => child ? deliver(signal) : pending.push(signal);
      Deno.addSignalListener(signal, forward);
      forwarded.push([signal, forward]);
    }
  }
  try {
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
    for (const signal of pending.splice(0)) deliver(signal);
    const status = await child.status;
    if (status.signal) return 128 + (SIGNAL_NUMBERS[status.signal] ?? 0);
    return status.code;
  } finally {
    for (const [signal, forward] of forwarded) Deno.removeSignalListener(signal, forward);
  }
}

/** Starts `command` in its own session, detached, with its output appended to `logPath`. */
export function spawnDetached(
  command: string[],
  options: { logPath: string; stdin?: string; env?: Record<string, string> },
) {
  const unix = Deno.build.os !== "windows";
  // Deno cannot point a child's stdio at a file, so on Unix a shell appends stdout and stderr
  // to the log and then execs the program (keeping the pid). Windows gets no log file.
  const argv = unix
    ? ["/bin/sh", "-c", 'log=$1; shift; exec "$@" >>"$log" 2>&1', "sh", options.logPath, ...command]
    : command;
  const child = new Deno.Command(argv[0], {
    args: argv.slice(1),
    stdin: options.stdin === undefined ? "null" : "piped",
    stdout: "null",
    stderr: "null",
    // A new session: no controlling terminal, so closing it (SIGHUP) or Ctrl-C there does not
    // reach the daemon.
    detached: true,
    ...(options.env ? { env: options.env, clearEnv: true } : {}),
  }).spawn();
  // A child that went away before reading says so by its exit code.
  if (options.stdin !== undefined) feedStdin(child.stdin, options.stdin);
  child.unref();
  return { pid: child.pid, exited: child.status.then((status) => status.code) };
}

/** Sends `signal` to `pid`; false if there is no such process. */
export function signalProcess(pid: number, signal: "SIGTERM" | "SIGKILL"): boolean {
  try {
    Deno.kill(pid, signal);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/** Calls `listener` on any terminating signal; returns a function that removes it. */
export function onTerminate(listener: (signal: string) => void): () => void {
  const signals: Deno.Signal[] = Deno.build.os === "windows"
    ? ["SIGINT", "SIGBREAK"]
    : ["SIGINT", "SIGTERM", "SIGHUP"];
  const handlers = signals.map((signal) => [signal, () => listener(signal)] as const);
  for (const [signal, handler] of handlers) Deno.addSignalListener(signal, handler);
  return () => {
    for (const [signal, handler] of handlers) Deno.removeSignalListener(signal, handler);
  };
}
