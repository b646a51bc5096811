/**
 * Runs the real CLI (`deno run -A cli.ts`) as a user would, against a temporary home, with a
 * clean environment.
 */
export const CLI = new URL("../../cli.ts", import.meta.url).pathname;

/** What a CLI run produced. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Options of {@linkcode runCli}. */
export interface CliOptions {
  home: string;
  env?: Record<string, string>;
  stdin?: string;
  cwd?: string;
}

/**
 * Runs a program to completion: `stdin` (if any) is written then closed, stdout and stderr are
 * collected as text. Shared by every test that runs a process.
 */
export async function runProcess(
  program: string,
  options: Omit<Deno.CommandOptions, "stdin" | "stdout" | "stderr"> & { stdin?: string },
): Promise<CliResult> {
  const { stdin, ...rest } = options;
  const child = new Deno.Command(program, {
    ...rest,
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (stdin !== undefined) {
    const writer = child.stdin.getWriter();
    try {
      await writer.write(new TextEncoder().encode(stdin));
      await writer.close();
    } catch (error) {
      // The program may exit (an error before it reads its input) without reading stdin.
      if (!(error instanceof Deno.errors.BrokenPipe)) throw error;
    }
  }
  const output = await child.output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

/** The clean environment a CLI run gets: a user home beside `home`, no colour. */
export function cliEnv(home: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
    HOME: `${home}/../user`,
    AUTHSOME_HOME: home,
    DENO_DIR: Deno.env.get("DENO_DIR") ?? `${Deno.env.get("HOME")}/.cache/deno`,
    NO_COLOR: "1",
    ...extra,
  };
}

/** Runs `authsome <args>`. */
export async function runCli(args: string[], options: CliOptions): Promise<CliResult> {
  return await runProcess(Deno.execPath(), {
    args: ["run", "-A", "--no-lock", CLI, ...args],
    clearEnv: true,
    env: cliEnv(options.home, options.env),
    cwd: options.cwd,
    stdin: options.stdin,
  });
}

/** Every file under `dir`, recursively, with its content. */
export async function readTree(dir: string): Promise<Map<string, Uint8Array>> {
  const out = new Map<string, Uint8Array>();
  async function walk(path: string) {
    for await (const entry of Deno.readDir(path)) {
      const full = `${path}/${entry.name}`;
      if (entry.isDirectory) await walk(full);
      else if (entry.isFile) out.set(full, await Deno.readFile(full));
    }
  }
  try {
    await walk(dir);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return out;
}
