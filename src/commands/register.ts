/**
 * `authsome register <file.json>`: validate and install a custom provider.
 *
 * @module
 */
import { registerProvider } from "../auth/providers.ts";
import { booleanFlag, type Invocation } from "./invocation.ts";

/** Runs `register`. */
export async function run(invocation: Invocation): Promise<number> {
  const { ctx, out, parsed } = invocation;
  const result = await registerProvider(ctx, parsed.args[0], {
    force: booleanFlag(invocation, "force"),
  });
  for (const warning of result.warnings) out.warn(warning);
  if (out.json) {
    out.jsonValue({
      status: "registered",
      provider: result.name,
      overrides_bundled: result.overridesBundled,
    });
  } else {
    out.line(`Provider ${result.name} registered.`);
    if (result.overridesBundled) {
      out.line(`It overrides the bundled definition of ${result.name}.`);
    }
  }
  return 0;
}
