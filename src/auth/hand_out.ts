/**
 * Handing out a credential: the one use case behind `get`, the daemon's `/v1/token`, `run`'s
 * environment and proxy headers, and the library. It resolves the connection, applies the
 * refresh rule (docs/contract.md §4), picks the secret (the access token, or the API key), builds the
 * header when asked, and audits the reveal. Callers only choose what differs between them:
 * whether a refresh failure may be tolerated, whether a header is needed, what the audit entry
 * says, and what they do with a warning.
 *
 * This module is on `get`'s start-up path: it loads the header code, the provider registry and
 * (through `accessConnection`) the refresh code only when a header or a refresh needs them.
 *
 * @module
 */
import type { RefreshError } from "../errors.ts";
import { AuthsomeError, CredentialMissingError, InterruptedError } from "../errors.ts";
import { type Connection, SECRET_FIELDS } from "../model/connection.ts";
import { type DisplayField, fieldValue } from "../model/connection_view.ts";
import type { ProviderDefinition } from "../model/provider.ts";
import type { Secret } from "../model/secret.ts";
import { accessConnection } from "./access.ts";
import { getCommand, loginCommand, loginFlagsFor } from "./connections.ts";
import type { AuthsomeContext } from "./context.ts";
import type { AuthHeader } from "./headers.ts";

/** Which stored field carries a connection's credential. */
export type SecretField = "access_token" | "api_key";

/** Options of {@linkcode handOutCredential}. */
export interface HandOutOptions {
  /** The connection's name; default the provider's default connection. */
  connection?: string;
  /**
   * The `field` of the `get` audit entry written once the credential is handed out. Leave it
   * out when no secret leaves the process (nothing is audited then).
   */
  auditField?: string;
  /** Also build the HTTP header (loads the provider definition). */
  header?: boolean;
  /** Fail with exit 5 when the connection holds no token or key (a header always requires one). */
  requireSecret?: boolean;
  /**
   * Return a failed refresh in `refreshError` instead of throwing it, with the connection as it
   * now stands: only for callers that show no secret (`get --field status`).
   */
  tolerateRefreshFailure?: boolean;
  /**
   * The secret field the caller will reveal (`get --field refresh_token`): when the connection
   * does not hold it, fail with exit 5 naming the secrets it does hold, before anything is audited.
   */
  requestedField?: string;
  /** The grant on whose behalf the credential is handed out (audited as `grant`). */
  grant?: string;
  /** Cancels a refresh (its lock wait and token request) with `InterruptedError` (exit 130). */
  signal?: AbortSignal;
}

/** A credential handed out by {@linkcode handOutCredential}. */
export interface HandedOut {
  /** The connection after the refresh rule. */
  connection: Connection;
  /** Where the credential lives: the access token for OAuth2, the key for API keys. */
  secretField: SecretField;
  /** The credential, or null when the connection holds none (only without `requireSecret`). */
  secret: Secret | null;
  /** The header to send it in; only with the `header` option. */
  header?: AuthHeader;
  /** The provider's definition; only with the `header` option. */
  definition?: ProviderDefinition;
  /** A refresh failed but the stored token is still valid: show this to the user. */
  warning?: string;
  /** A tolerated refresh failure (`tolerateRefreshFailure`). */
  refreshError?: RefreshError;
}

/** Resolves, refreshes, picks and audits one connection's credential. */
export async function handOutCredential(
  ctx: AuthsomeContext,
  provider: string,
  options: HandOutOptions = {},
): Promise<HandedOut> {
  const signal = options.signal;
  if (signal?.aborted) throw new InterruptedError("interrupted");
  const { connection, warning, refreshError } = await accessConnection(ctx, provider, {
    connection: options.connection,
    tolerateRefreshFailure: options.tolerateRefreshFailure,
    signal,
  }).catch(async (error) => {
    // The registry is loaded only now: an unknown provider is exit 3, not "not logged in".
    if (error instanceof CredentialMissingError) (await ctx.providers()).get(provider);
    // An abort during the lock wait surfaces as the signal's reason: make it exit 130.
    if (signal?.aborted && !(error instanceof AuthsomeError)) {
      throw new InterruptedError("interrupted", { cause: error });
    }
    throw error;
  });
  const secretField: SecretField = connection.authType === "api_key" ? "api_key" : "access_token";
  const secret = (secretField === "api_key" ? connection.apiKey : connection.accessToken) ?? null;
  if (secret === null && (options.requireSecret || options.header)) {
    const { noCredentialError } = await import("./headers.ts");
    throw noCredentialError(connection);
  }
  if (options.requestedField !== undefined && !holds(connection, options.requestedField)) {
    throw missingSecretField(connection, options.requestedField);
  }
  const out: HandedOut = { connection, secretField, secret };
  if (options.header) {
    // Loaded here, not statically: `get` never needs a header.
    const { authHeader } = await import("./headers.ts");
    out.definition = (await ctx.providers()).get(provider);
    out.header = authHeader(out.definition, connection);
  }
  if (warning) out.warning = warning;
  if (refreshError) out.refreshError = refreshError;
  if (options.auditField !== undefined) {
    await ctx.audit.append({
      event: "get",
      provider,
      connection: connection.connectionName,
      status: "success",
      field: options.auditField,
      ...(options.grant === undefined ? {} : { grant: options.grant }),
    });
  }
  return out;
}

/**
 * Asking for a secret the connection does not hold (`access_token` of an API key) is an error,
 * not an empty line a script would send as a credential: it names the secrets that exist.
 */
function missingSecretField(connection: Connection, field: string): CredentialMissingError {
  const held = SECRET_FIELDS.filter((name) => holds(connection, name));
  const kind = connection.authType === "api_key" ? "an API-key" : "an OAuth2";
  const where = `${connection.provider} (${connection.connectionName})`;
  const flags = loginFlagsFor(connection);
  return new CredentialMissingError(
    `${where} is ${kind} connection with no ${field}; ` +
      (held.length > 0 ? `it has: ${held.join(", ")}` : "it holds no secret"),
    {
      hint: held.length > 0
        ? `${getCommand(connection)} --field ${held[0]}`
        : loginCommand(connection.provider, { ...flags, force: true }),
    },
  );
}

function holds(connection: Connection, field: string): boolean {
  return fieldValue(connection, field as DisplayField, false) !== null;
}
