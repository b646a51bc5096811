/**
 * `authsome log`: the last N audit entries (`--json`: NDJSON, one object per line), with
 * `--verify` the check of the audit log's hash chain, or with `--raw` the tail of the debug log.
 *
 * @module
 */
import { AuditLog, readLastLines } from "../audit/audit_log.ts";
import type { ChainReport, EntryPlace } from "../audit/chain.ts";
import { UsageError } from "../errors.ts";
import type { Invocation } from "./invocation.ts";

/** Chain fields: for `--verify` and `--json`, noise in the human listing. */
const CHAIN_FIELDS = new Set(["seq", "prev"]);

function describe(entry: Record<string, unknown>): string {
  const { timestamp, event, provider, connection, status, ...rest } = entry;
  const who = provider ? ` ${provider}${connection ? ` (${connection})` : ""}` : "";
  const extra = Object.entries(rest).filter(([k]) => !CHAIN_FIELDS.has(k)).map(([k, v]) =>
    `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`
  );
  return [`${timestamp} ${event}${who} ${status}`, ...extra].join(" ");
}

function place(where: EntryPlace): string {
  const name = where.seq !== null ? `entry #${where.seq}` : "the first entry";
  return `${name} (${where.file} line ${where.line}${
    where.timestamp ? `, ${where.timestamp}` : ""
  })`;
}

function entries(n: number): string {
  return `${n} ${n === 1 ? "entry" : "entries"}`;
}

/** The human lines of a verification: where the history and the chain begin, then the verdict. */
function verificationLines(report: ChainReport, home: string): string[] {
  const lines: string[] = [];
  if (report.rotatedAway && report.historyBegins) {
    lines.push(
      `Kept history begins at ${place(report.historyBegins)}; older entries were rotated away.`,
    );
  }
  if (report.unchained > 0 && report.chainStarts) {
    lines.push(
      `The chain starts at ${place(report.chainStarts)}; the ${
        entries(report.unchained)
      } before it predate the chain and are not covered.`,
    );
  } else if (report.unchained > 0) {
    lines.push(
      `${entries(report.unchained)}, all written before the chain existed: nothing to check.`,
    );
  }
  if (report.broken) {
    lines.push(`Audit log chain broken: ${report.broken.message}.`);
    lines.push(`Keep a copy for inspection: cp ${home}/audit.log* <dir>`);
  } else if (report.entries === 0) {
    lines.push("No audit log entries yet; nothing to verify.");
  } else {
    lines.push(`${entries(report.entries)}, chain intact.`);
  }
  return lines;
}

async function verify(invocation: Invocation): Promise<number> {
  const { ctx, out } = invocation;
  const report = await new AuditLog(ctx.platform, ctx.paths.home).verify();
  if (out.json) {
    out.data(
      JSON.stringify({
        intact: report.intact,
        entries: report.entries,
        unchained: report.unchained,
        history_begins: report.historyBegins,
        rotated_away: report.rotatedAway,
        chain_starts: report.chainStarts,
        head: report.head,
        broken: report.broken,
      }) + "\n",
    );
  } else {
    for (const line of verificationLines(report, ctx.paths.home)) out.line(line);
  }
  return report.intact ? 0 : 1;
}

/** Runs `log`. */
export async function run(invocation: Invocation): Promise<number> {
  const { ctx, out, parsed } = invocation;
  if (parsed.flags.verify === true) {
    if (parsed.flags.raw === true) throw new UsageError("--verify checks the audit log, not --raw");
    return await verify(invocation);
  }
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
