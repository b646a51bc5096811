/**
 * `authsome log`: the last N audit entries (`--json`: NDJSON, one object per line), or with
 * `--raw` the tail of the debug log.
 *
 * @module
 */
import { AuditLog, readLastLines } from "../audit/audit_log.ts";
import { UsageError } from "../errors.ts";
import type { Invocation } from "./invocation.ts";

function describe(entry: Record<string, unknown>): string {
  const { timestamp, event, provider, connection, status, ...rest } = entry;
  const who = provider ? ` ${provider}${connection ? ` (${connection})` : ""}` : "";
  const extra = Object.entries(rest).map(([k, v]) =>
    `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`
  );
  return [`${timestamp} ${event}${who} ${status}`, ...extra].join(" ");
}

/** Runs `log`. */
export async function run(invocation: Invocation): Promise<number> {
  const { ctx, out, parsed } = invocation;
  const lines = parsed.flags.lines as number;
  if (!Number.isInteger(lines) || lines < 1) {
    throw new UsageError(`-n must be a positive whole number, got ${lines}`);
  }
  if (parsed.flags.raw === true) {
    const file = parsed.global.logFile || ctx.paths.debugLog;
    if (!(await ctx.platform.fs.stat(file))) {
      out.note(`No debug log at ${file} yet.`);
      return 0;
    }
    out.data((await readLastLines(ctx.platform, file, lines)).join("\n"));
    return 0;
  }
  const entries = await new AuditLog(ctx.platform, ctx.paths.home).tail(lines);
  if (out.json) {
    out.data(entries.map((entry) => JSON.stringify(entry) + "\n").join(""));
    return 0;
  }
  if (entries.length === 0) {
    out.line("No audit log entries yet.");
    return 0;
  }
  for (const entry of entries) out.result(describe(entry as Record<string, unknown>));
  return 0;
}
