/**
 * `authsome inspect <provider>`: the definition and its connections, secrets redacted.
 *
 * @module
 */
import { listConnections } from "../auth/connections.ts";
import { connectionView } from "./connection_view.ts";
import type { Invocation } from "./invocation.ts";

/** Runs `inspect`. */
export async function run({ ctx, out, parsed }: Invocation): Promise<number> {
  const registry = await ctx.providers();
  const definition = registry.get(parsed.args[0]);
  const entry = registry.list().find((e) => e.definition.name === definition.name);
  const connections = await listConnections(await ctx.vault.read(), ctx.profile, definition.name);
  const view = {
    schema_version: 1,
    source: entry?.source ?? "bundled",
    definition: definition.raw,
    connections: connections.map((c) => connectionView(c, false)),
  };
  if (out.json) out.jsonValue(view);
  else out.data(JSON.stringify(view, null, 2));
  return 0;
}
