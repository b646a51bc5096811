/**
 * `authsome doctor`: health checks; exit 1 if any fails. Warnings (an `expired` connection)
 * are shown but do not fail. With `--quiet` only the failing and warning rows are printed.
 *
 * @module
 */
import { runDoctor } from "../auth/doctor.ts";
import type { Invocation } from "./invocation.ts";

/** Runs `doctor`. */
export async function run({ ctx, out }: Invocation): Promise<number> {
  const results = await runDoctor(ctx);
  const ok = results.every((r) => r.ok);
  if (out.json) {
    out.jsonValue({ schema_version: 1, ok, checks: results });
    return ok ? 0 : 1;
  }
  for (const result of results) {
    const mark = !result.ok
      ? out.paint("red", "FAIL")
      : result.warning
      ? out.paint("yellow", "WARN")
      : out.paint("green", "OK  ");
    const row = `${mark} ${result.name.padEnd(12)} ${result.detail}`;
    if (result.ok && !result.warning) {
      out.line(row);
      continue;
    }
    out.result(row);
    if (result.hint) out.result(`     ${"".padEnd(12)} fix: ${result.hint}`);
  }
  const problems = results.filter((r) => !r.ok).length;
  const warnings = results.filter((r) => r.ok && r.warning).length;
  out.line();
  const found = [
    problems > 0 ? `${problems} problem(s)` : "",
    warnings > 0 ? `${warnings} warning(s)` : "",
  ].filter(Boolean);
  out.line(found.length === 0 ? "No problems found." : `${found.join(" and ")} found.`);
  return ok ? 0 : 1;
}
