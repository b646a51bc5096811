/**
 * The CLI entry: parse argv against the command table, wire the context, run the command, and
 * turn any failure into its message and exit code. The only place that chooses exit codes.
 *
 * @module
 */
import { createContext } from "../auth/context.ts";
import { AuditLog } from "../audit/audit_log.ts";
import { AuthsomeError, describeError, ExitCode, UsageError } from "../errors.ts";
import { createLazyLogger } from "../log/lazy_logger.ts";
import { resolveHome } from "../model/home.ts";
import type { Platform } from "../platform/types.ts";
import { VERSION } from "../version.ts";
import { parseCommandLine } from "./args.ts";
import type { Invocation } from "./invocation.ts";
import { COMMAND_LOADERS } from "./loaders.ts";
import { Output } from "./output.ts";
import type { ParsedCommandLine } from "./spec.ts";
import { COMMANDS } from "./table.ts";

function wantsJsonEarly(argv: string[]): boolean {
  const end = argv.indexOf("--");
  return (end === -1 ? argv : argv.slice(0, end)).includes("--json");
}

/** Runs the CLI with `argv` and returns the process exit code. */
export async function main(argv: string[], platform: Platform): Promise<number> {
  const colorAllowed = platform.terminal.stderrIsTerminal && !platform.env("NO_COLOR");
  let out = new Output(platform.terminal, {
    json: wantsJsonEarly(argv),
    quiet: false,
    color: colorAllowed && !argv.includes("--no-color"),
  });
  // Keys are decoded with Uint8Array.fromBase64 (Deno 2.5, V8 14): on an older Deno every key
  // would otherwise read as damaged.
  if (typeof Uint8Array.fromBase64 !== "function") {
    return out.error(
      new AuthsomeError("authsome needs Deno 2.5 or newer", {
        hint: "deno upgrade (or use node_modules/deno/deno from npm ci)",
      }),
    );
  }
  // `authsome help get` is what newcomers type first: it means `authsome get --help`.
  if (argv[0] === "help") argv = [...argv.slice(1), "--help"];
  let parsed: ParsedCommandLine;
  try {
    parsed = parseCommandLine(argv, COMMANDS);
  } catch (error) {
    return out.error(error);
  }
  const global = parsed.global;
  out = new Output(platform.terminal, {
    json: global.json,
    quiet: global.quiet,
    color: colorAllowed && !global.noColor,
  });
  if (global.version) {
    if (global.json) out.jsonValue({ version: VERSION });
    else out.data(`authsome ${VERSION}`);
    return ExitCode.ok;
  }
  if (global.help || !parsed.spec) {
    const { renderCommandHelp, renderTopHelp } = await import("./help.ts");
    const text = parsed.spec
      ? renderCommandHelp(parsed.path, parsed.spec)
      : renderTopHelp(COMMANDS, VERSION);
    out.data(text);
    return global.help || parsed.path.length === 0 ? ExitCode.ok : ExitCode.usage;
  }

  const home = resolveHome(platform.env, platform.userHome());
  const log = createLazyLogger({
    platform,
    home,
    logFile: global.logFile,
    verbose: global.verbose,
    quiet: global.quiet,
  });
  try {
    const ctx = createContext(platform, {
      home,
      profile: global.profile,
      log,
      audit: new AuditLog(platform, home),
      lockTimeoutMs: lockTimeout(platform),
    });
    const loader = COMMAND_LOADERS[parsed.path[0]];
    if (!loader) throw new UsageError(`command "${parsed.path[0]}" is not available`);
    const command = await loader();
    const invocation: Invocation = { ctx, parsed, out, platform, log };
    return await command.run(invocation);
  } catch (error) {
    if (!(error instanceof AuthsomeError)) {
      // To the file only: the user sees the error once, below.
      log.debug(`unexpected failure: ${describeError(error)}`, {
        stack: error instanceof Error ? error.stack : undefined,
      });
    } else {
      log.debug(`failed: ${describeError(error)}`);
    }
    return out.error(error);
  } finally {
    await log.close();
  }
}

function lockTimeout(platform: Platform): number | undefined {
  const raw = platform.env("AUTHSOME_LOCK_TIMEOUT");
  if (raw === undefined || raw === "") return undefined;
  const seconds = Number(raw);
  if (!Number.isFinite(seconds) || seconds < 0) {
    throw new UsageError(`AUTHSOME_LOCK_TIMEOUT must be a number of seconds, got "${raw}"`);
  }
  return seconds * 1000;
}
