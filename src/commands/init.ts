/**
 * `authsome init`: create the home, the key, the vault and config.json.
 *
 * @module
 */
import { initializeHome } from "../auth/setup.ts";
import type { Invocation } from "./invocation.ts";

/** Runs `init`. */
export async function run({ ctx, out }: Invocation): Promise<number> {
  const result = await initializeHome(ctx);
  if (out.json) {
    out.jsonValue({
      status: result.created ? "initialized" : "already_initialized",
      home: ctx.paths.home,
      key_source: result.keySource,
    });
  } else if (result.created) {
    out.line(`Initialized authsome at ${ctx.paths.home}; key source: ${result.keySource}.`);
  } else {
    out.line(`authsome is already initialized at ${ctx.paths.home}.`);
  }
  return 0;
}
