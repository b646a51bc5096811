/**
 * A test platform: the real file system (in a temp dir), with a controllable clock, a chosen
 * environment, optional deterministic randomness and a captured terminal.
 */
import { denoFileSystem, denoPlatform } from "../../src/platform/deno.ts";
import type { Platform, Terminal } from "../../src/platform/types.ts";

/** Captured terminal output and scripted input. */
export interface FakeTerminal extends Terminal {
  stdout: string;
  stderr: string;
  stdin: string;
  masked: string[];
}

/** A platform whose pieces tests control. */
export interface FakePlatform extends Platform {
  terminal: FakeTerminal;
  envVars: Record<string, string>;
  setNow(ms: number): void;
  advance(ms: number): void;
}

/** Counter-based bytes: deterministic but distinct per call. */
export function sequentialRandom(seed = 1): (length: number) => Uint8Array {
  let counter = seed;
  return (length) => {
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i++) out[i] = (counter * 31 + i * 7) & 0xff;
    counter++;
    return out;
  };
}

/** Builds a fake platform. */
export function fakePlatform(options: {
  env?: Record<string, string>;
  now?: number;
  random?: (length: number) => Uint8Array;
  stdinIsTerminal?: boolean;
} = {}): FakePlatform {
  let now = options.now ?? Date.parse("2026-11-25T12:00:00Z");
  const envVars = { ...options.env };
  const terminal: FakeTerminal = {
    stdout: "",
    stderr: "",
    stdin: "",
    masked: [],
    stdinIsTerminal: options.stdinIsTerminal ?? false,
    stdoutIsTerminal: false,
    stderrIsTerminal: false,
    writeStdout(text) {
      terminal.stdout += text;
    },
    writeStderr(text) {
      terminal.stderr += text;
    },
    readStdin: () => Promise.resolve(terminal.stdin),
    readLine(prompt) {
      terminal.stderr += prompt;
      return Promise.resolve(terminal.masked.shift() ?? "");
    },
    readMasked(prompt) {
      terminal.stderr += prompt;
      return Promise.resolve(terminal.masked.shift() ?? "");
    },
  };
  return {
    fs: denoFileSystem,
    clock: {
      now: () => now,
      sleep: (ms) => {
        now += ms;
        return Promise.resolve();
      },
    },
    terminal,
    envVars,
    env: (name) => envVars[name],
    randomBytes: options.random ??
      ((length) => crypto.getRandomValues(new Uint8Array(length))),
    userHome: () => "/nonexistent",
    pid: 4242,
    os: "linux",
    fetch: (input, init) => fetch(input, init),
    serve: (serveOptions, handler) => denoPlatform().serve(serveOptions, handler),
    openBrowser: () => Promise.resolve(false),
    onInterrupt: () => () => {},
    envAll: () => ({ ...envVars }),
    runChild: (command, runOptions) => denoPlatform().runChild(command, runOptions),
    listenTcp: (hostname, port) => denoPlatform().listenTcp(hostname, port),
    connectTcp: (hostname, port, tcpOptions) =>
      denoPlatform().connectTcp(hostname, port, tcpOptions),
    connectTls: (hostname, port, tlsOptions) =>
      denoPlatform().connectTls(hostname, port, tlsOptions),
    acceptTls: (stream, tlsOptions) => denoPlatform().acceptTls(stream, tlsOptions),
    makeTempFile: (prefix, content) => denoPlatform().makeTempFile(prefix, content),
    loopbackRequest: (port, request, timeoutMs) =>
      denoPlatform().loopbackRequest(port, request, timeoutMs),
    spawnDetached: (command, spawnOptions) => denoPlatform().spawnDetached(command, spawnOptions),
    signalProcess: (pid, signal) => denoPlatform().signalProcess(pid, signal),
    onTerminate: () => () => {},
    selfCommand: () => denoPlatform().selfCommand(),
    setNow(ms) {
      now = ms;
    },
    advance(ms) {
      now += ms;
    },
  };
}

/** A fresh temp directory for an authsome home (removed by the returned disposer). */
export async function tempHome(): Promise<{ home: string } & AsyncDisposable> {
  const dir = await Deno.makeTempDir({ prefix: "authsome-test-" });
  const home = `${dir}/home`;
  return {
    home,
    [Symbol.asyncDispose]: () => Deno.remove(dir, { recursive: true }),
  };
}
