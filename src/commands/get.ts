/**
 * `authsome get <provider>`: a connection's metadata (secrets redacted unless `--show-secret`),
 * or one field with `--field`. Applies the refresh rule first (docs/contract.md §4).
 *
 * @module
 */
import { handOutCredential } from "../auth/hand_out.ts";
import { daemonField } from "../daemon/client.ts";
import { UsageError } from "../errors.ts";
import { CONNECTION_DISPLAY_FIELDS } from "../model/connection.ts";
import {
  connectionView,
  type DisplayField,
  fieldText,
  fieldValue,
  isSecretField,
} from "../model/connection_view.ts";
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
  const { connection, refreshError, warning } = await handOutCredential(ctx, provider, {
    connection: stringFlag(invocation, "connection"),
    tolerateRefreshFailure: field !== undefined && !isSecretField(field),
    auditField: revealing ? field ?? "all" : undefined,
    requestedField: field !== undefined && isSecretField(field) ? field : undefined,
  });
  if (refreshError) out.warn(refreshError.message);
  if (warning) out.warn(warning);
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
