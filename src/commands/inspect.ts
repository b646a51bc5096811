/**
 * `authsome inspect <provider>`: the definition and its connections, secrets redacted.
 *
 * @module
 */
import { findClient } from "../auth/clients.ts";
import { listConnections } from "../auth/connections.ts";
import { connectionView } from "../model/connection_view.ts";
import type { Invocation } from "./invocation.ts";

/** Runs `inspect`. */
export async function run({ ctx, out, parsed }: Invocation): Promise<number> {
  const registry = await ctx.providers();
  const definition = registry.get(parsed.args[0]);
  const entry = registry.list().find((e) => e.definition.name === definition.name);
  const snapshot = await ctx.vault.read();
  const connections = await listConnections(snapshot, ctx.profile, definition.name);
  const client = await findClient(snapshot, ctx.profile, definition.name);
  const view = {
    schema_version: 1,
    source: entry?.source ?? "bundled",
    definition: definition.raw,
    client: client
      ? {
        client_id: client.clientId,
        client_secret: client.clientSecret ? "[redacted]" : null,
        source: client.source,
      }
      : null,
    connections: connections.map((c) => connectionView(c, false)),
  };
  if (out.json) out.jsonValue(view);
  else out.data(JSON.stringify(view, null, 2));
  return 0;
}
