/**
 * Which connections `run` uses: the named providers, or every provider with a connection in
 * the profile; for each, `--connection` or the provider's default connection.
 *
 * @module
 */
import type { AuthsomeContext } from "../auth/context.ts";
import { listConnections, resolveConnectionName } from "../auth/connections.ts";
import type { ProviderDefinition } from "../model/provider.ts";

/** One selected connection. */
export interface SelectedConnection {
  definition: ProviderDefinition;
  connection: string;
}

/** Resolves the providers and connection names `run` should use. */
export async function selectConnections(
  ctx: AuthsomeContext,
  options: { providers: string[]; connection?: string },
): Promise<SelectedConnection[]> {
  const registry = await ctx.providers();
  const snapshot = await ctx.vault.read();
  let providers = options.providers;
  if (providers.length === 0) {
    providers = [...new Set((await listConnections(snapshot, ctx.profile)).map((c) => c.provider))]
      .filter((name) => registry.has(name));
  }
  const selected: SelectedConnection[] = [];
  for (const provider of providers) {
    selected.push({
      definition: registry.get(provider),
      connection: await resolveConnectionName(snapshot, ctx.profile, provider, options.connection),
    });
  }
  return selected;
}
