/**
 * `export`: credentials as environment variables. Refresh tokens are never exported. With no
 * provider, every connection of the profile is exported under collision-free names.
 *
 * @module
 */
import type { ProviderDefinition } from "../model/provider.ts";
import type { Secret } from "../model/secret.ts";
import { envVarNames } from "../providers/registry.ts";
import type { AuthsomeContext } from "./context.ts";
import { listConnections, resolveConnectionName } from "./connections.ts";
import { handOutCredential } from "./hand_out.ts";

/** One exported variable. */
export interface ExportEntry {
  name: string;
  value: Secret;
  provider: string;
  connection: string;
}

function envSuffix(text: string): string {
  return text.toUpperCase().replace(/[^A-Z0-9]/g, "_");
}

/** Builds the variables for one provider or, with `provider` undefined, all connections. */
export async function buildExport(
  ctx: AuthsomeContext,
  provider: string | undefined,
  options: { connection?: string; format: string; onWarning?: (message: string) => void },
): Promise<ExportEntry[]> {
  const registry = await ctx.providers();
  const targets: { definition: ProviderDefinition; connection: string; isDefault: boolean }[] = [];
  const snapshot = await ctx.vault.read();
  if (provider !== undefined) {
    const definition = registry.get(provider);
    const name = await resolveConnectionName(snapshot, ctx.profile, provider, options.connection);
    targets.push({ definition, connection: name, isDefault: true });
  } else {
    for (const connection of await listConnections(snapshot, ctx.profile)) {
      if (!registry.has(connection.provider)) {
        ctx.log.warn(`skipping connection for unknown provider ${connection.provider}`);
        continue;
      }
      const defaultName = await resolveConnectionName(
        snapshot,
        ctx.profile,
        connection.provider,
        undefined,
      );
      targets.push({
        definition: registry.get(connection.provider),
        connection: connection.connectionName,
        isDefault: connection.connectionName === defaultName,
      });
    }
    // Default connections claim the plain names first.
    targets.sort((a, b) => Number(b.isDefault) - Number(a.isDefault));
  }
  const entries: ExportEntry[] = [];
  const taken = new Set<string>();
  for (const target of targets) {
    const handed = await handOutCredential(ctx, target.definition.name, {
      connection: target.connection,
      requireSecret: true,
    });
    if (handed.warning) options.onWarning?.(handed.warning);
    const entry = {
      name: envVarNames(target.definition)[handed.secretField],
      value: handed.secret!,
    };
    let name = entry.name;
    if (taken.has(name) || (!target.isDefault && provider === undefined)) {
      name = `${entry.name}_${envSuffix(target.connection)}`;
      if (taken.has(name)) {
        name = `${entry.name}_${envSuffix(target.definition.name)}_${envSuffix(target.connection)}`;
      }
      for (let n = 2; taken.has(name); n++) name = `${entry.name}_${n}`;
    }
    taken.add(name);
    entries.push({
      name,
      value: entry.value,
      provider: target.definition.name,
      connection: target.connection,
    });
    await ctx.audit.append({
      event: "export",
      provider: target.definition.name,
      connection: target.connection,
      status: "success",
      format: options.format,
      variable: name,
    });
  }
  return entries;
}

/** Quotes a value for POSIX shells: single quotes, with embedded quotes closed and escaped. */
export function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'"'"'`)}'`;
}
