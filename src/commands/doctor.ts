/**
 * `authsome doctor`: health checks; exit 1 if any fails.
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
    const mark = result.ok ? out.paint("green", "OK  ") : out.paint("red", "FAIL");
    out.line(`${mark} ${result.name.padEnd(12)} ${result.detail}`);
    if (!result.ok && result.hint) out.line(`     ${"".padEnd(12)} fix: ${result.hint}`);
  }
  out.line();
  out.line(ok ? "No problems found." : `${results.filter((r) => !r.ok).length} problem(s) found.`);
  return ok ? 0 : 1;
}
