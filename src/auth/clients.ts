/**
 * OAuth client configuration per (profile, provider): stored in the vault, or taken from the
 * provider's environment variables.
 *
 * @module
 */
import { clientFromData, clientToData, type OAuthClient, RecordId } from "../model/connection.ts";
import type { ProviderDefinition } from "../model/provider.ts";
import { registerSecretValue, Secret } from "../model/secret.ts";
import type { ClientCredentials } from "../oauth/types.ts";
import { storedAuthMethod } from "./client_auth.ts";
import type { AuthsomeContext } from "./context.ts";
import type { RecordReader, RecordWriter } from "./connections.ts";

/** The stored client record, or null. */
export async function findClient(
  reader: RecordReader,
  profile: string,
  provider: string,
): Promise<OAuthClient | null> {
  const data = await reader.get(RecordId.client(profile, provider));
  return data ? clientFromData(data) : null;
}

/** Stores the client record. */
export function saveClient(
  writer: RecordWriter,
  profile: string,
  provider: string,
  client: OAuthClient,
): void {
  writer.put(RecordId.client(profile, provider), clientToData(client));
}

/** Client credentials from the provider's environment variables, if its id variable is set. */
export function clientFromEnv(
  ctx: AuthsomeContext,
  definition: ProviderDefinition,
): OAuthClient | null {
  const idVar = definition.client.client_id_env;
  const clientId = idVar ? ctx.platform.env(idVar) : undefined;
  if (!clientId) return null;
  const secretVar = definition.client.client_secret_env;
  const secret = secretVar ? ctx.platform.env(secretVar) : undefined;
  if (secret) registerSecretValue(secret);
  return {
    clientId,
    clientSecret: secret ? new Secret(secret) : null,
    source: "env",
    registration: null,
    extra: {},
  };
}

/**
 * The credentials to authenticate to the token endpoint with: stored, else from env; with the
 * authentication method chosen at login, else the definition's, else the default.
 */
export async function loadClient(
  ctx: AuthsomeContext,
  definition: ProviderDefinition,
): Promise<ClientCredentials | null> {
  const stored = await findClient(await ctx.vault.read(), ctx.profile, definition.name);
  const client = stored?.clientId ? stored : clientFromEnv(ctx, definition);
  if (!client?.clientId) return null;
  const authMethod = storedAuthMethod(client) ??
    definition.oauth?.token_endpoint_auth_method ?? undefined;
  return { clientId: client.clientId, clientSecret: client.clientSecret, authMethod };
}
