/**
 * `authsome get <provider>`: a connection's metadata (secrets redacted unless `--show-secret`),
 * or one field with `--field`. Applies the refresh rule first (CONTRACT §4).
 *
 * @module
 */
import { accessConnection } from "../auth/access.ts";
import { daemonField } from "../daemon/client.ts";
import { CredentialMissingError, UsageError } from "../errors.ts";
import { type Connection, CONNECTION_DISPLAY_FIELDS, SECRET_FIELDS } from "../model/connection.ts";
import {
  connectionView,
  type DisplayField,
  fieldText,
  fieldValue,
  isSecretField,
} from "../model/connection_view.ts";
import { loginCommand, loginFlagsFor } from "../auth/connections.ts";
import { booleanFlag, type Invocation, stringFlag } from "./invocation.ts";

/** Runs `get`. */
export async function run(invocation: Invocation): Promise<number> {
  const { ctx, out, parsed } = invocation;
  const provider = parsed.args[0];
  const field = stringFlag(invocation, "field");
  const showSecret = booleanFlag(invocation, "show-secret");
  if (field !== undefined && !(CONNECTION_DISPLAY_FIELDS as readonly string[]).includes(field)) {
    throw new UsageError(`unknown field "${field}"`, {
      hint: `Fields: ${CONNECTION_DISPLAY_FIELDS.join(", ")}`,
    });
  }
  if (field !== undefined) {
    // A running daemon serves (and audits) tokens; otherwise read the vault below.
    const served = await daemonField(ctx, provider, {
      field,
      connection: stringFlag(invocation, "connection"),
    });
    // A field the connection does not have is reported from the vault below, with what it has.
    if (served && served.value !== null) {
      if (served.warning) out.warn(served.warning);
      if (out.json) out.jsonValue({ [field]: served.value });
      else out.data(`${fieldText(served.value)}\n`);
      return 0;
    }
  }
  const revealing = field !== undefined ? isSecretField(field) : showSecret;
  const { connection, refreshError, warning } = await accessConnection(ctx, provider, {
    connection: stringFlag(invocation, "connection"),
    tolerateRefreshFailure: field !== undefined && !isSecretField(field),
  }).catch(async (error) => {
    // The registry is loaded only when needed: an unknown provider is exit 3, not "not logged in".
    if (error instanceof CredentialMissingError) (await ctx.providers()).get(provider);
    throw error;
  });
  if (refreshError) out.warn(refreshError.message);
  if (warning) out.warn(warning);
  if (
    field !== undefined && isSecretField(field) &&
    fieldValue(connection, field as DisplayField, false) === null
  ) {
    throw missingSecretField(connection, field);
  }
  if (revealing) {
    await ctx.audit.append({
      event: "get",
      provider,
      connection: connection.connectionName,
      status: "success",
      field: field ?? "all",
    });
  }
  if (field !== undefined) {
    const value = fieldValue(connection, field as DisplayField, revealing);
    if (out.json) out.jsonValue({ [field]: value });
    else out.data(`${fieldText(value)}\n`);
    return 0;
  }
  const view = connectionView(connection, showSecret);
  if (out.json) {
    out.jsonValue({ schema_version: 1, ...view });
    return 0;
  }
  for (const [key, value] of Object.entries(view)) {
    if (value === null || (Array.isArray(value) && value.length === 0)) continue;
    if (typeof value === "object" && !Array.isArray(value) && Object.keys(value).length === 0) {
      continue;
    }
    out.data(`${key}: ${fieldText(value)}`);
  }
  return 0;
}

/**
 * Asking for a secret the connection does not hold (`access_token` of an API key) is an error,
 * not an empty line a script would send as a credential: it names the secrets that exist.
 */
function missingSecretField(connection: Connection, field: string): CredentialMissingError {
  const held = SECRET_FIELDS.filter((name) => fieldValue(connection, name, false) !== null);
  const kind = connection.authType === "api_key" ? "an API-key" : "an OAuth2";
  const where = `${connection.provider} (${connection.connectionName})`;
  const flags = loginFlagsFor(connection);
  const get = `authsome get ${connection.provider}` +
    (flags.connection === undefined ? "" : ` --connection ${flags.connection}`) +
    (flags.profile === undefined ? "" : ` --profile ${flags.profile}`);
  return new CredentialMissingError(
    `${where} is ${kind} connection with no ${field}; ` +
      (held.length > 0 ? `it has: ${held.join(", ")}` : "it holds no secret"),
    {
      hint: held.length > 0
        ? `${get} --field ${held[0]}`
        : loginCommand(connection.provider, { ...flags, force: true }),
    },
  );
}
