import { denoPlatform } from "../../src/platform/deno.ts";
import type { Platform, Terminal } from "../../src/platform/types.ts";

/** The real platform with a settable clock and a terminal that records stderr. */
export interface TestPlatform extends Platform {
  stderr: string[];
  setTime(ms: number): void;
}

export function testPlatform(startMs = Date.UTC(2025, 0, 2, 3, 4, 5)): TestPlatform {
  const real = denoPlatform();
  let now = startMs;
  const stderr: string[] = [];
  const terminal: Terminal = {
    stdinIsTerminal: false,
    stdoutIsTerminal: false,
    stderrIsTerminal: false,
    writeStdout: () => {},
    writeStderr: (text) => void stderr.push(text),
    readStdin: () => Promise.resolve(""),
    readMasked: () => Promise.resolve(""),
    readLine: () => Promise.resolve(""),
  };
  return {
    ...real,
    terminal,
    clock: { now: () => now, sleep: real.clock.sleep },
    stderr,
    setTime: (ms) => void (now = ms),
  };
}

/** Runs `fn` with a fresh temporary directory, removed afterwards. */
export async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "authsome-log-test-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

export function mode(path: string): number {
  return (Deno.statSync(path).mode ?? 0) & 0o777;
}
