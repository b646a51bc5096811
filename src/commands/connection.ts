/**
 * `authsome connection list [provider]` and `authsome connection set-default <provider>
 * <connection>`: see and choose the connection used when `--connection` is not given.
 *
 * @module
 */
import { listWithDefaults, setDefaultConnection } from "../auth/default_connection.ts";
import { UsageError } from "../errors.ts";
import { relativeExpiry } from "../model/connection_view.ts";
import type { Invocation } from "./invocation.ts";

/** Runs `connection <subcommand>`. */
export async function run(invocation: Invocation): Promise<number> {
  switch (invocation.parsed.path[1]) {
    case "list":
      return await list(invocation);
    case "set-default":
      return await setDefault(invocation);
  }
  throw new UsageError(`unknown connection command "${invocation.parsed.path[1]}"`);
}

async function list({ ctx, out, parsed }: Invocation): Promise<number> {
  const provider = parsed.args[0];
  const listed = await listWithDefaults(ctx, provider);
  if (out.json) {
    out.jsonValue({
      schema_version: 1,
      profile: ctx.profile,
      connections: listed.map(({ connection: c, isDefault }) => ({
        provider: c.provider,
        connection_name: c.connectionName,
        default: isDefault,
        auth_type: c.authType,
        status: c.status,
        expires_at: c.expiresAt,
      })),
    });
    return 0;
  }
  if (listed.length === 0) {
    out.line(provider ? `No connections for ${provider}.` : "No connections yet.");
    out.note(`Log in with: authsome login ${provider ?? "<provider>"}`);
    return 0;
  }
  const now = ctx.platform.clock.now();
  const rows = listed.map(({ connection: c, isDefault }) => [
    c.provider,
    c.connectionName,
    isDefault ? "*" : "",
    out.status(c.status),
    relativeExpiry(c.expiresAt, now),
  ]);
  out.data(out.table(["Provider", "Connection", "Default", "Status", "Expires"], rows));
  out.note("Change a default with: authsome connection set-default <provider> <connection>");
  return 0;
}

async function setDefault({ ctx, out, parsed }: Invocation): Promise<number> {
  const [provider, name] = parsed.args;
  const { previous, changed } = await setDefaultConnection(ctx, provider, name);
  if (out.json) {
    out.jsonValue({ status: "default_set", provider, connection: name, previous });
  } else if (changed) {
    out.line(`${provider} now uses connection "${name}" by default (was "${previous}").`);
  } else {
    out.line(`${provider} already uses connection "${name}" by default.`);
  }
  return 0;
}
