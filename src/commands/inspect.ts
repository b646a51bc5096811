/**
 * `authsome inspect <provider>`: how a provider's credential is obtained and sent, and its
 * connections, secrets redacted. `--json` gives the definition as written plus the connections.
 *
 * @module
 */
import { findClient } from "../auth/clients.ts";
import { listConnections } from "../auth/connections.ts";
import type { Connection, OAuthClient } from "../model/connection.ts";
import { connectionView, relativeExpiry } from "../model/connection_view.ts";
import type { ProviderDefinition } from "../model/provider.ts";
import { envVarNames, resolveTemplate } from "../providers/registry.ts";
import type { Invocation } from "./invocation.ts";
import type { Output } from "./output.ts";

/** Runs `inspect`. */
export async function run({ ctx, out, parsed }: Invocation): Promise<number> {
  const registry = await ctx.providers();
  const definition = registry.get(parsed.args[0]);
  const entry = registry.list().find((e) => e.definition.name === definition.name);
  const source = entry?.source ?? "bundled";
  const snapshot = await ctx.vault.read();
  const connections = await listConnections(snapshot, ctx.profile, definition.name);
  const client = await findClient(snapshot, ctx.profile, definition.name);
  if (out.json) {
    out.jsonValue({
      schema_version: 1,
      source,
      definition: definition.raw,
      client: client
        ? {
          client_id: client.clientId,
          client_secret: client.clientSecret ? "[redacted]" : null,
          source: client.source,
        }
        : null,
      connections: connections.map((c) => connectionView(c, false)),
    });
    return 0;
  }
  const lines: [string, string][] = [];
  const add = (label: string, value: string | null | undefined) => {
    if (value) lines.push([label, value]);
  };
  if (definition.auth_type === "api_key") {
    const block = definition.api_key;
    const env = envVarNames(definition);
    add(
      "header",
      block.basic_auth
        ? `Authorization: Basic base64(${
          block.basic_auth === "key_as_username" ? "<key>:" : ":<key>"
        })`
        : `${block.header_name}: ${block.header_prefix ? `${block.header_prefix} ` : ""}<key>`,
    );
    add("key from", block.env_var ? `$${block.env_var}, else asked at login` : "asked at login");
    add("key format", block.key_pattern_hint ?? block.key_pattern);
    add("exported as", env.api_key);
  } else {
    const { oauth } = definition;
    const url = (value: string | null) => value ? resolveTemplate(value, oauth.base_url) : null;
    const flows = [definition.flow];
    if (oauth.supports_device_flow && definition.flow !== "device_code") flows.push("device_code");
    add("flows", flows.join(", "));
    add("authorize", url(oauth.authorization_url));
    add("token", url(oauth.token_url));
    add("device", url(oauth.device_authorization_url));
    add("revoke", url(oauth.revocation_url) ?? "none (logout deletes the local connection)");
    add("scopes", oauth.scopes.join(" ") || "none");
    const prefix = oauth.header_prefix ?? "Bearer";
    add("header", `Authorization: ${prefix ? `${prefix} ` : ""}<access token>`);
    add("client", clientLine(definition, client));
    const env = envVarNames(definition);
    // Only the access token: `export` never hands out a refresh token, whatever export.env names.
    add("exported as", env.access_token);
  }
  add("host", definition.host_url ?? "none (not routed by run)");
  add("docs", definition.docs);
  const width = Math.max(...lines.map(([label]) => label.length));
  out.data(
    [
      `${definition.display_name} [${definition.name}], ${source}, ${definition.auth_type}`,
      ...lines.map(([label, value]) => `  ${label.padEnd(width)}  ${value}`),
      "",
      connectionsText(out, connections, ctx.profile, ctx.platform.clock.now(), definition.name),
      "",
      `The full definition: authsome inspect ${definition.name} --json`,
    ].join("\n"),
  );
  return 0;
}

function clientLine(definition: ProviderDefinition, client: OAuthClient | null): string {
  if (client) {
    return `${client.clientId} (${client.source}${client.clientSecret ? ", secret stored" : ""})`;
  }
  const { client_id_env, client_secret_env } = definition.client;
  const vars = [client_id_env, client_secret_env].filter(Boolean).map((name) => `$${name}`);
  return vars.length > 0 ? `none stored; login reads ${vars.join(" and ")} or asks` : "none stored";
}

function connectionsText(
  out: Output,
  connections: Connection[],
  profile: string,
  now: number,
  provider: string,
): string {
  if (connections.length === 0) {
    return `No connections in profile "${profile}". Log in: authsome login ${provider}`;
  }
  const rows = connections.map((c) => [
    c.connectionName,
    out.status(c.status),
    c.authType === "api_key" ? "[redacted]" : c.scopes.join(" ") || "-",
    relativeExpiry(c.expiresAt, now),
  ]);
  return `Connections in profile "${profile}":\n` +
    out.table(["Connection", "Status", "Key / scopes", "Expires"], rows);
}
