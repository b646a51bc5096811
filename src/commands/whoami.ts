/**
 * `authsome whoami`: home, profile, version, key source, connected count.
 *
 * @module
 */
import { listConnections } from "../auth/connections.ts";
import { VERSION } from "../version.ts";
import { KEY_SOURCE_NAMES, selectedKeySource } from "../vault/key_source.ts";
import { attentionLines, countByStatus, needingAttention } from "./attention.ts";
import type { Invocation } from "./invocation.ts";

/** Runs `whoami`. */
export async function run({ ctx, out, platform }: Invocation): Promise<number> {
  const { keyHeldByDaemon } = await import("../auth/key_mode.ts");
  const held = await keyHeldByDaemon(ctx);
  if (held) return keyModeDaemon({ ctx, out } as Invocation, held.daemonRunning);
  const snapshot = await ctx.vault.read();
  const all = await listConnections(snapshot, ctx.profile);
  const connected = all.filter((c) => c.status === "connected");
  const counts = countByStatus(all);
  const attention = needingAttention(all);
  const providers = [...new Set(connected.map((c) => c.provider))].sort();
  const keySource = snapshot.header?.keySource ?? selectedKeySource(platform.env);
  const info = {
    schema_version: 1,
    home_directory: ctx.paths.home,
    active_profile: ctx.profile,
    authsome_version: VERSION,
    key_source: KEY_SOURCE_NAMES[keySource],
    vault_exists: snapshot.header !== null,
    connected_providers_count: providers.length,
    connected_providers: providers,
    connections: counts,
    needs_attention: attention.map(({ provider, connection, status, reason, fix }) => ({
      provider,
      connection,
      status,
      reason,
      fix,
    })),
  };
  if (out.json) {
    out.jsonValue(info);
    return 0;
  }
  const byStatus = (["connected", "expired", "invalid"] as const)
    .filter((status) => counts[status] > 0)
    .map((status) => `${counts[status]} ${status}`);
  out.result(
    [
      `Home Directory:      ${info.home_directory}`,
      `Active Profile:      ${info.active_profile}`,
      `Authsome Version:    ${info.authsome_version}`,
      `Key Source:          ${info.key_source}`,
      `Connected Providers: ${info.connected_providers_count}`,
      ...providers.map((name) => `  - ${name}`),
      `Connections:         ${counts.total}` +
      (byStatus.length > 0 ? ` (${byStatus.join(", ")})` : ""),
      ...attentionLines(attention),
    ].join("\n"),
  );
  return 0;
}

/**
 * Key mode `daemon` without the passphrase: the vault cannot be opened here, so say where the key
 * is instead of failing; connections are counted by whoever holds the key.
 */
function keyModeDaemon({ ctx, out }: Invocation, daemonRunning: boolean): number {
  const keySource = daemonRunning
    ? "daemon (key mode daemon: held by the running daemon only)"
    : "daemon (key mode daemon: no daemon holds it; authsome daemon unlock)";
  if (out.json) {
    out.jsonValue({
      schema_version: 1,
      home_directory: ctx.paths.home,
      active_profile: ctx.profile,
      authsome_version: VERSION,
      key_source: "daemon",
      key_held_by_running_daemon: daemonRunning,
      vault_exists: null,
      connected_providers_count: null,
      connected_providers: null,
      connections: null,
      needs_attention: null,
    });
    return 0;
  }
  out.result(
    [
      `Home Directory:      ${ctx.paths.home}`,
      `Active Profile:      ${ctx.profile}`,
      `Authsome Version:    ${VERSION}`,
      `Key Source:          ${keySource}`,
      "Connections:         not readable without the passphrase " +
      "(AUTHSOME_PASSPHRASE=... authsome whoami)",
    ].join("\n"),
  );
  return 0;
}
