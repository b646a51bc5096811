/**
 * Helpers for the end-to-end tests: a temporary home bound to the real CLI, assertions that
 * print what the CLI said when they fail, a process that holds `vault.lock`, an `authsome`
 * command on PATH for shell pipelines, and a fixture writer for OAuth2 connections (the OAuth
 * flows need a live authorization server; these tests only need the stored record).
 */
import assert from "node:assert/strict";
import { tempHome } from "../_fakes/platform.ts";
import { CLI, cliEnv, type CliResult, readTree, runCli, runProcess } from "./_cli.ts";

export { readTree };
export type { CliResult };

/** Options of one CLI run. */
export interface RunOptions {
  env?: Record<string, string>;
  stdin?: string;
  cwd?: string;
  /** Run against another home than the test's own. */
  home?: string;
}

/** A temporary authsome home and the CLI bound to it. */
export class TestHome {
  /** `AUTHSOME_HOME` (not created until the CLI creates it). */
  readonly home: string;
  /** A private scratch directory holding `home` (for fixture files). */
  readonly dir: string;

  constructor(home: string, dir: string) {
    this.home = home;
    this.dir = dir;
  }

  /** Runs `authsome <args>` against this home. */
  run(args: string[], options: RunOptions = {}): Promise<CliResult> {
    return runCli(args, {
      home: options.home ?? this.home,
      env: options.env,
      stdin: options.stdin,
      cwd: options.cwd,
    });
  }

  /** Runs the command and asserts its exit code; returns the result. */
  async ok(args: string[], options: RunOptions = {}): Promise<CliResult> {
    const result = await this.run(args, options);
    expectExit(result, 0, `authsome ${args.join(" ")}`);
    return result;
  }

  /** Logs in an API-key provider, the key piped on stdin (or from `envVar` when given). */
  async login(
    provider: string,
    key: string,
    options: { connection?: string; envVar?: string; force?: boolean; profile?: string } = {},
  ): Promise<CliResult> {
    const args = ["login", provider];
    if (options.connection) args.push("--connection", options.connection);
    if (options.force) args.push("--force");
    if (options.profile) args.push("--profile", options.profile);
    return await this.ok(
      args,
      options.envVar ? { env: { [options.envVar]: key } } : { stdin: key },
    );
  }

  /** Path of a file under the home. */
  path(name: string): string {
    return `${this.home}/${name}`;
  }

  /** Writes a fixture file in the scratch directory and returns its path. */
  async fixture(name: string, content: string | Uint8Array): Promise<string> {
    const path = `${this.dir}/${name}`;
    if (typeof content === "string") await Deno.writeTextFile(path, content);
    else await Deno.writeFile(path, content);
    return path;
  }
}

/** Runs `fn` with a fresh temporary home, removed afterwards. */
export async function withHome(fn: (home: TestHome) => Promise<void>): Promise<void> {
  await using temp = await tempHome();
  const dir = temp.home.replace(/\/home$/, "");
  // The CLI is started with HOME=<dir>/user; make it exist so nothing trips over it.
  await Deno.mkdir(`${dir}/user`, { recursive: true });
  await fn(new TestHome(temp.home, dir));
}

/** What a CLI run printed, for assertion messages. */
export function show(result: CliResult): string {
  return `exit ${result.code}\n--- stdout ---\n${result.stdout}\n--- stderr ---\n${result.stderr}`;
}

/** Asserts the exit code, printing the output when it differs. */
export function expectExit(result: CliResult, code: number, what = "the command"): void {
  assert.equal(result.code, code, `${what}: expected exit ${code}\n${show(result)}`);
}

/** Asserts that `text` matches every pattern. */
export function expectMatch(text: string, patterns: (RegExp | string)[], what: string): void {
  for (const pattern of patterns) {
    const ok = typeof pattern === "string" ? text.includes(pattern) : pattern.test(text);
    assert.ok(ok, `${what}: expected ${pattern} in:\n${text}`);
  }
}

/** Parses stdout as one JSON document. */
export function stdoutJson<T = Record<string, unknown>>(result: CliResult): T {
  try {
    return JSON.parse(result.stdout) as T;
  } catch {
    assert.fail(`stdout is not one JSON document\n${show(result)}`);
  }
}

/**
 * Asserts the `--json` failure shape of docs/contract.md §5: exactly one JSON object on stdout with
 * `error` (the machine code) and a non-empty `message`.
 */
export function expectJsonError(result: CliResult, code: string, exit: number): {
  error: string;
  message: string;
  hint?: string;
} {
  expectExit(result, exit);
  const lines = result.stdout.split("\n").filter((line) => line.trim() !== "");
  assert.equal(lines.length, 1, `one JSON line on stdout expected\n${show(result)}`);
  const body = JSON.parse(lines[0]);
  assert.equal(body.error, code, show(result));
  assert.equal(typeof body.message, "string");
  assert.ok(body.message.length > 0, show(result));
  return body;
}

/** The bytes of the vault and its backup (null when absent). */
export async function vaultBytes(
  home: string,
): Promise<{ vault: Uint8Array | null; backup: Uint8Array | null }> {
  const read = async (path: string) => {
    try {
      return await Deno.readFile(path);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return null;
      throw error;
    }
  };
  return { vault: await read(`${home}/vault.enc`), backup: await read(`${home}/vault.enc.bak`) };
}

/** Asserts the vault and its backup are byte-for-byte what they were. */
export async function expectVaultUnchanged(
  home: string,
  before: { vault: Uint8Array | null; backup: Uint8Array | null },
  what: string,
): Promise<void> {
  const after = await vaultBytes(home);
  assert.deepEqual(after.vault, before.vault, `${what}: vault.enc changed`);
  assert.deepEqual(after.backup, before.backup, `${what}: vault.enc.bak changed`);
  const leftovers = [];
  for await (const entry of Deno.readDir(home)) {
    if (/^vault\.enc\..*(tmp|new)/.test(entry.name)) leftovers.push(entry.name);
  }
  assert.deepEqual(leftovers, [], `${what}: temporary vault files left behind`);
}

/** A valid base64 key for `AUTHSOME_MASTER_KEY`. */
export function randomMasterKey(): string {
  return btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))));
}

/** Random letters and digits. */
export function randomAlnum(length: number): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  const bytes = crypto.getRandomValues(new Uint8Array(length));
  return Array.from(bytes, (b) => alphabet[b % alphabet.length]).join("");
}

/** A valid OpenAI-shaped key (`sk-` + 32 characters). */
export function openaiKey(tag = ""): string {
  return `sk-${tag}${randomAlnum(32)}`;
}

/** A valid Resend-shaped key. */
export function resendKey(tag = ""): string {
  return `re_${tag}${randomAlnum(24)}`;
}

const HOLDER = new URL("./_hold_lock.ts", import.meta.url).pathname;

/**
 * Starts another process that takes an exclusive `flock` on `path` and keeps it until the
 * returned handle is disposed (its stdin is closed).
 */
export async function holdLock(path: string): Promise<AsyncDisposable> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--no-lock", HOLDER, path],
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let seen = "";
  while (!seen.includes("locked")) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`lock holder exited before locking: ${seen}`);
    seen += value;
  }
  return {
    async [Symbol.asyncDispose]() {
      await child.stdin.close();
      while (!(await reader.read()).done) { /* drain until the holder exits */ }
      await child.status;
    },
  };
}

let python: Promise<string | null> | null = null;

/** The real python3 executable (not a pyenv shim, which needs the user's HOME), or null. */
export function findPython(): Promise<string | null> {
  python ??= (async () => {
    try {
      const out = await new Deno.Command("python3", {
        args: ["-c", "import sys; print(sys.executable)"],
        stdout: "piped",
        stderr: "null",
      }).output();
      return out.success ? new TextDecoder().decode(out.stdout).trim() : null;
    } catch {
      return null;
    }
  })();
  return python;
}

/**
 * Runs a shell script (`bash -c`) with an `authsome` command on PATH that runs the real CLI,
 * with the same clean environment as {@linkcode runCli}.
 */
export async function runShell(
  script: string,
  options: { home: string; dir: string; env?: Record<string, string>; stdin?: string },
): Promise<CliResult> {
  const bin = `${options.dir}/bin`;
  await Deno.mkdir(bin, { recursive: true });
  const shim = `${bin}/authsome`;
  await Deno.writeTextFile(
    shim,
    `#!/bin/sh\nexec '${Deno.execPath()}' run -A --no-lock '${CLI}' "$@"\n`,
  );
  await Deno.chmod(shim, 0o755);
  const py = await findPython();
  if (py) {
    try {
      await Deno.symlink(py, `${bin}/python3`);
    } catch (error) {
      if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
    }
  }
  const env = cliEnv(options.home, options.env);
  return await runProcess("bash", {
    args: ["-c", script],
    clearEnv: true,
    env: { ...env, PATH: `${bin}:${env.PATH}` },
    stdin: options.stdin,
  });
}

const PLANTER = new URL("./_plant_oauth.ts", import.meta.url).pathname;

/** An OAuth2 connection to plant in a vault. */
export interface PlantedOAuth {
  profile?: string;
  provider: string;
  connection?: string;
  accessToken: string;
  refreshToken: string;
  /** Seconds from now; default two hours (far outside the 300 s refresh window). */
  expiresIn?: number;
  scopes?: string[];
  clientId?: string;
  clientSecret?: string;
}

/**
 * Writes OAuth2 connections into the vault of `home` with authsome's own vault code, in a
 * separate process, as a completed login would have left them.
 */
export async function plantOAuth(
  home: string,
  connections: PlantedOAuth[],
  env: Record<string, string> = {},
): Promise<void> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--no-lock", PLANTER, home],
    clearEnv: true,
    env: { PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin", ...env },
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(JSON.stringify(connections)));
  await writer.close();
  const output = await child.output();
  if (!output.success) {
    throw new Error(`planting failed: ${new TextDecoder().decode(output.stderr)}`);
  }
}

/** Copies a home directory tree, keeping file modes. */
export async function cloneHome(from: string, to: string): Promise<void> {
  const mode = (await Deno.stat(from)).mode! & 0o777;
  await Deno.mkdir(to, { recursive: true });
  await Deno.chmod(to, mode);
  for await (const entry of Deno.readDir(from)) {
    const src = `${from}/${entry.name}`;
    const dst = `${to}/${entry.name}`;
    if (entry.isDirectory) await cloneHome(src, dst);
    else if (entry.isFile) {
      await Deno.copyFile(src, dst);
      await Deno.chmod(dst, (await Deno.stat(src)).mode! & 0o777);
    }
  }
}

/** Whether the tests run as root (who can write into read-only directories). */
export function isRoot(): boolean {
  return Deno.uid() === 0;
}
