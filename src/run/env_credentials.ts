/**
 * Credentials for `run --env`: each selected provider's token or key under its `export.env`
 * names, refreshed first (docs/contract.md §4). Refresh tokens are never injected.
 *
 * @module
 */
import type { AuthsomeContext } from "../auth/context.ts";
import { handOutCredential } from "../auth/hand_out.ts";
import type { Secret } from "../model/secret.ts";
import { envVarNames } from "../providers/registry.ts";
import { selectConnections } from "./selection.ts";

/** What `run --env` injects. */
export interface EnvCredentials {
  variables: Map<string, Secret>;
  /** `provider/connection` of every injected credential. */
  sources: string[];
  /** Warnings to show (a refresh failed but the stored token is still valid). */
  warnings: string[];
}

/**
 * Collects credentials for `providers` (default: every provider with a connection in the
 * profile), using `connection` or each provider's default connection.
 */
export async function collectEnvCredentials(
  ctx: AuthsomeContext,
  options: { providers: string[]; connection?: string },
): Promise<EnvCredentials> {
  const result: EnvCredentials = { variables: new Map(), sources: [], warnings: [] };
  for (const { definition, connection: name } of await selectConnections(ctx, options)) {
    const provider = definition.name;
    const { secretField, secret, warning } = await handOutCredential(ctx, provider, {
      connection: name,
      requireSecret: true,
    });
    if (warning) result.warnings.push(warning);
    result.variables.set(envVarNames(definition)[secretField], secret!);
    result.sources.push(`${provider}/${name}`);
  }
  return result;
}

/** Our own key sources: they open the whole vault, so no child ever inherits them. */
const VAULT_KEY_VARIABLES = ["AUTHSOME_MASTER_KEY", "AUTHSOME_PASSPHRASE"];

/**
 * The child's environment: ours without the vault key variables, plus the credentials, plus
 * `AUTHSOME_RUN=1`.
 */
export function buildChildEnv(
  parent: Record<string, string>,
  variables: ReadonlyMap<string, Secret>,
  extra: Record<string, string> = {},
): Record<string, string> {
  const env: Record<string, string> = { ...parent, ...extra, AUTHSOME_RUN: "1" };
  for (const name of VAULT_KEY_VARIABLES) delete env[name];
  for (const [name, value] of variables) env[name] = value.reveal();
  return env;
}
