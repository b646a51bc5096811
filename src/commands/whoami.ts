/**
 * `authsome whoami`: home, profile, version, key source, connected count.
 *
 * @module
 */
import { listConnections } from "../auth/connections.ts";
import { VERSION } from "../version.ts";
import { KEY_SOURCE_NAMES, selectedKeySource } from "../vault/key_source.ts";
import type { Invocation } from "./invocation.ts";

/** Runs `whoami`. */
export async function run({ ctx, out, platform }: Invocation): Promise<number> {
  const snapshot = await ctx.vault.read();
  const connected = (await listConnections(snapshot, ctx.profile)).filter((c) =>
    c.status === "connected"
  );
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
  };
  if (out.json) {
    out.jsonValue(info);
    return 0;
  }
  out.line(`Home Directory:      ${info.home_directory}`);
  out.line(`Active Profile:      ${info.active_profile}`);
  out.line(`Authsome Version:    ${info.authsome_version}`);
  out.line(`Key Source:          ${info.key_source}`);
  out.line(`Connected Providers: ${info.connected_providers_count}`);
  for (const name of providers) out.line(`  - ${name}`);
  return 0;
}
