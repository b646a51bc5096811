/**
 * `authsome remove <provider>`: revoke, then delete a custom definition.
 *
 * @module
 */
import { revokeProvider } from "../auth/logout.ts";
import { removeCustomProvider } from "../auth/providers.ts";
import type { Invocation } from "./invocation.ts";

/** Runs `remove`. */
export async function run({ ctx, out, parsed }: Invocation): Promise<number> {
  const definition = (await ctx.providers()).get(parsed.args[0]);
  const { revokeRemotely } = await import("../auth/remote_revoke.ts");
  const revoked = await revokeProvider(ctx, definition, {
    event: "remove",
    revoker: revokeRemotely,
  });
  const { removedCustom, bundledRemains } = await removeCustomProvider(ctx, definition.name);
  if (out.json) {
    out.jsonValue({
      status: "removed",
      provider: definition.name,
      connections: revoked.connections.length,
      custom_definition_removed: removedCustom,
      bundled_definition_remains: bundledRemains,
    });
    return 0;
  }
  out.line(`Removed provider ${definition.name}.`);
  if (bundledRemains) {
    out.line(`The bundled definition of ${definition.name} stays available.`);
  }
  return 0;
}
