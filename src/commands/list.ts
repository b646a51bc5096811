/**
 * `authsome list`: every provider, bundled and custom, with its connections.
 *
 * @module
 */
import { listConnections } from "../auth/connections.ts";
import { fixCommand } from "../auth/recovery.ts";
import type { Connection } from "../model/connection.ts";
import type { Invocation } from "./invocation.ts";
import { relativeExpiry } from "../model/connection_view.ts";
import { attentionLines, needingAttention } from "./attention.ts";

/** Runs `list`. */
export async function run({ ctx, out }: Invocation): Promise<number> {
  const registry = await ctx.providers();
  const snapshot = await ctx.vault.read();
  const byProvider = new Map<string, Connection[]>();
  const all = await listConnections(snapshot, ctx.profile);
  for (const connection of all) {
    const list = byProvider.get(connection.provider) ?? [];
    list.push(connection);
    byProvider.set(connection.provider, list);
  }
  const now = ctx.platform.clock.now();
  const entries = registry.list();
  const connectedCount =
    entries.filter((e) =>
      (byProvider.get(e.definition.name) ?? []).some((c) => c.status === "connected")
    ).length;
  if (out.json) {
    out.jsonValue({
      schema_version: 1,
      profile: ctx.profile,
      providers: entries.map(({ definition, source }) => ({
        name: definition.name,
        display_name: definition.display_name,
        auth_type: definition.auth_type,
        source,
        connections: (byProvider.get(definition.name) ?? []).map((c) => ({
          connection_name: c.connectionName,
          auth_type: c.authType,
          status: c.status,
          scopes: c.scopes,
          expires_at: c.expiresAt,
          fix: fixCommand(c),
        })),
      })),
    });
    return 0;
  }
  const rows: string[][] = [];
  for (const { definition, source } of entries) {
    const label = `${definition.display_name} [${definition.name}]`;
    const connections = byProvider.get(definition.name) ?? [];
    if (connections.length === 0) {
      rows.push([label, source, definition.auth_type, "-", "not_connected", "-"]);
      continue;
    }
    for (const c of connections) {
      rows.push([
        label,
        source,
        c.authType,
        c.connectionName,
        out.status(c.status),
        relativeExpiry(c.expiresAt, now),
      ]);
    }
  }
  out.result(`Providers: ${entries.length} total, ${connectedCount} connected`);
  out.result();
  out.result(out.table(["Provider", "Source", "Auth", "Connection", "Status", "Expires"], rows));
  const attention = attentionLines(needingAttention(all));
  if (attention.length > 0) out.result(["", ...attention].join("\n"));
  return 0;
}
