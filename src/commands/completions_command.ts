/**
 * `authsome completions bash|zsh|fish`.
 *
 * @module
 */
import { UsageError } from "../errors.ts";
import { renderCompletions } from "./completions.ts";
import type { Invocation } from "./invocation.ts";
import { COMMANDS } from "./table.ts";

const SHELLS = ["bash", "zsh", "fish"] as const;

/** Runs `completions`. */
export async function run({ ctx, out, parsed }: Invocation): Promise<number> {
  const shell = parsed.args[0];
  if (!(SHELLS as readonly string[]).includes(shell)) {
    throw new UsageError(`unsupported shell "${shell}"`, {
      hint: "authsome completions bash|zsh|fish",
    });
  }
  const providers = (await ctx.providers()).list().map((e) => e.definition.name);
  out.data(
    renderCompletions(shell as typeof SHELLS[number], COMMANDS, providers),
  );
  return 0;
}
