/**
 * `authsome remove <provider>`: revoke, then delete a custom definition.
 *
 * @module
 */
import { authsomeCommand } from "../auth/connections.ts";
import { revokeProvider } from "../auth/logout.ts";
import { removeCustomProvider } from "../auth/providers.ts";
import { allConnections, confirmDeletion, nameList, nonDefault, storedFor } from "./confirm.ts";
import type { Invocation } from "./invocation.ts";

/** Runs `remove`. */
export async function run(invocation: Invocation): Promise<number> {
  const { ctx, out, parsed } = invocation;
  const registry = await ctx.providers();
  const definition = registry.get(parsed.args[0]);
  const name = definition.name;
  await confirmDeletion(
    invocation,
    authsomeCommand("remove", name, { profile: nonDefault(ctx.profile) }),
    async () => {
      const stored = await storedFor(ctx, name);
      const steps = [
        registry.isCustom(name) ? "delete its custom definition" : "",
        stored.connections.length > 0
          ? `revoke ${allConnections(stored.connections)} ${nameList(stored.connections)}`
          : "",
        stored.connections.length === 0 && stored.client ? "revoke its stored OAuth client" : "",
      ].filter(Boolean);
      return steps.length === 0 ? null : `Remove ${name}: ${steps.join(" and ")}?`;
    },
  );
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
  const count = revoked.connections.length;
  if (removedCustom) {
    out.line(`Removed provider ${definition.name}.`);
  } else if (count > 0 || revoked.clientRemoved) {
    // A bundled provider has no definition to delete: say what did happen.
    out.line(
      `Revoked ${definition.name}` +
        (count > 0 ? ` (${count} connection${count === 1 ? "" : "s"}).` : " (its OAuth client)."),
    );
  } else {
    out.line(`Nothing to remove: ${definition.name} has no custom definition and nothing stored.`);
  }
  if (bundledRemains) {
    out.line(`The bundled definition of ${definition.name} stays available.`);
  }
  return 0;
}
