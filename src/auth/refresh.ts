/**
 * Token refresh exactly as docs/contract.md §4 and the troubleshooting page describe.
 *
 * Exactly one token-endpoint request across processes: the refresh runs inside a vault update,
 * so it holds `vault.lock` from the re-read through the token request to the write. Everyone
 * else waiting on the lock then re-reads, finds the fresh token (or the failure a peer has just
 * recorded) and returns it without calling the provider again. The answer goes to the encrypted
 * refresh journal (`src/vault/journal.ts`) before anything else, so a kill -9 or a full disk
 * between the answer and the vault write does not lose the rotated refresh token.
 *
 * Outcomes:
 * - success: `connected`, new access token, new refresh token only if one was returned;
 * - network trouble (DNS, refused, timeout, 5xx, 429) and the token is past `expires_at`:
 *   `expired`, exit 6; not yet past: stays `connected`, the stored token with a warning;
 * - the provider rejects the grant (`invalid_grant`, `invalid_client`, `expired_token`,
 *   `unauthorized_client`): `invalid`, exit 6, with the recovery commands.
 *
 * @module
 */
import { describeError, RefreshError } from "../errors.ts";
import { type Connection, connectionToData, RecordId } from "../model/connection.ts";
import { rfc3339 } from "../model/timestamp.ts";
import type { ProviderDefinition } from "../model/provider.ts";
import { refreshAccessToken } from "../oauth/token_client.ts";
import {
  EndpointUnreachableError,
  errorCodeOf,
  type OAuthDeps,
  OAuthProtocolError,
  REJECTING_ERRORS,
} from "../oauth/types.ts";
import { resolveTemplate } from "../providers/registry.ts";
import { loadClient } from "./clients.ts";
import type { AuthsomeContext } from "./context.ts";
import { findConnection, loginCommand, loginFlagsFor, saveConnection } from "./connections.ts";
import { CLIENT_ERRORS, statusCommand } from "./recovery.ts";
import { isPastExpiry, needsRefresh } from "./refresh_rule.ts";

/** How long a refresh may wait for the vault lock: a peer may be mid-request. */
const REFRESH_LOCK_TIMEOUT_MS = 30_000;
/** The token request must finish well inside the waiters' lock deadline. */
const TOKEN_REQUEST_TIMEOUT_MS = 10_000;

/** `AUTHSOME_TOKEN_TIMEOUT` (seconds) shortens the token request timeout, e.g. for tests. */
function tokenTimeout(ctx: AuthsomeContext): number {
  const seconds = Number(ctx.platform.env("AUTHSOME_TOKEN_TIMEOUT"));
  return Number.isFinite(seconds) && seconds > 0
    ? Math.min(seconds * 1000, TOKEN_REQUEST_TIMEOUT_MS)
    : TOKEN_REQUEST_TIMEOUT_MS;
}

/** A refresh failure that carries the connection as it now stands (status updated). */
export class ConnectionRefreshError extends RefreshError {
  readonly connection: Connection;
  constructor(message: string, connection: Connection, hint: string) {
    super(message, { hint });
    this.connection = connection;
  }
  override name = "ConnectionRefreshError";
}

/** The result of a refresh that did not fail outright. */
export interface RefreshOutcome {
  connection: Connection;
  /** Set when the refresh failed but the stored token is still valid. */
  warning?: string;
}

/**
 * The recovery commands of the troubleshooting page, by cause, for this connection (the page's
 * exact commands for the `default` connection of the `default` profile).
 */
export function recoveryHint(connection: Connection, reasonText: string): string {
  // `invalid_grant (bad_refresh_token)` is handled as `invalid_grant`.
  const reason = errorCodeOf(reasonText);
  const provider = connection.provider;
  const flags = loginFlagsFor(connection);
  if (reason === "expired_token") return loginCommand(provider, { ...flags, force: true });
  // A dead grant of a named connection (or profile): log in to that one connection again, since
  // `revoke` would take the provider's other connections with it. The page's revoke-then-login
  // stays for the default connection (as printed there) and for a rejected client, which every
  // connection shares and `login --force` would reuse.
  if (REJECTING_ERRORS.has(reason) && !CLIENT_ERRORS.has(reason) && !isDefaultTarget(flags)) {
    return loginCommand(provider, { ...flags, force: true });
  }
  if (REJECTING_ERRORS.has(reason)) {
    const profile = flags.profile === undefined ? "" : ` --profile ${flags.profile}`;
    return `authsome revoke ${provider}${profile}     # clear local state + remote (if supported)\n` +
      `${loginCommand(provider, flags)}      # re-run the flow`;
  }
  // Nothing to refresh with (no refresh token, no client): only a new login helps.
  if (reason.startsWith("no ")) return loginCommand(provider, { ...flags, force: true });
  return `Retry once your network is back: ${statusCommand(connection)}`;
}

function isDefaultTarget(flags: { connection?: string; profile?: string }): boolean {
  return flags.connection === undefined && flags.profile === undefined;
}

/** `refresh failed for <provider> (<connection>): <reason>` */
export function refreshFailedMessage(connection: Connection, reason: string): string {
  return `refresh failed for ${connection.provider} (${connection.connectionName}): ${reason}`;
}

/** The OAuth dependencies of a context. */
export function oauthDeps(ctx: AuthsomeContext, signal?: AbortSignal): OAuthDeps {
  return {
    fetch: ctx.platform.fetch,
    now: () => ctx.platform.clock.now(),
    sleep: (ms) => ctx.platform.clock.sleep(ms),
    randomBytes: (n) => ctx.platform.randomBytes(n),
    log: ctx.log,
    signal,
  };
}

type Attempt =
  | { kind: "fresh"; connection: Connection }
  | { kind: "refreshed"; connection: Connection }
  | { kind: "failed"; connection: Connection; reason: string; rejected: boolean; peer: boolean };

/**
 * Refreshes `connection` (which is inside the refresh window). `signal` cancels the wait for
 * the vault lock and the token request with `InterruptedError`.
 */
export async function refreshConnection(
  ctx: AuthsomeContext,
  definition: ProviderDefinition,
  stale: Connection,
  options: { signal?: AbortSignal } = {},
): Promise<RefreshOutcome> {
  const { profile } = ctx;
  const { provider, connectionName } = stale;
  // A failure a peer records while we wait for the lock is reported, not retried: one request
  // per burst of callers. A later call (the user retrying) tries again.
  const waitingSince = ctx.platform.clock.now();
  const attempt = await ctx.vault.update(async (tx): Promise<Attempt> => {
    const current = await findConnection(tx, profile, provider, connectionName);
    if (!current) return { kind: "fresh", connection: stale };
    const now = ctx.platform.clock.now();
    if (current.status === "connected" && !needsRefresh(current, now)) {
      return { kind: "fresh", connection: current };
    }
    if (current.status === "invalid") {
      const reason = current.lastRefreshError ?? "invalid_grant";
      return { kind: "failed", connection: current, reason, rejected: true, peer: true };
    }
    if (failedWhileWaiting(current, waitingSince)) {
      const reason = current.lastRefreshError!;
      return { kind: "failed", connection: current, reason, rejected: false, peer: true };
    }
    // Disk room for the answer first: a full disk fails here, before the provider rotates.
    await tx.reserveJournal();
    const result = await requestRefresh(ctx, definition, current, options.signal);
    // Milliseconds, so a failure can be ordered against a waiter's start.
    const stamped: Connection = {
      ...current,
      lastRefreshAt: new Date(ctx.platform.clock.now()).toISOString(),
    };
    if (result.kind === "refreshed") {
      const refreshed = { ...result.connection, lastRefreshAt: stamped.lastRefreshAt };
      // The rotated refresh token exists nowhere else: durable before anything else happens.
      tx.put(RecordId.connection(profile, provider, connectionName), connectionToData(refreshed));
      await tx.journal();
      await saveConnection(tx, refreshed);
      return { kind: "refreshed", connection: result.connection };
    }
    if (result.rejected) {
      // Never mark a grant invalid on the strength of a refresh token that is no longer the
      // stored one: if the file changed underneath (a writer outside our lock), use its token.
      const latest = await findConnection(
        await ctx.vault.read(),
        profile,
        provider,
        connectionName,
      );
      if (
        latest?.refreshToken && current.refreshToken &&
        latest.refreshToken.reveal() !== current.refreshToken.reveal()
      ) {
        return { kind: "fresh", connection: latest };
      }
    }
    const failed: Connection = { ...stamped, lastRefreshError: result.reason };
    if (result.rejected) failed.status = "invalid";
    else if (isPastExpiry(current, ctx.platform.clock.now())) failed.status = "expired";
    await saveConnection(tx, failed);
    return { ...result, connection: failed };
  }, { lockTimeoutMs: REFRESH_LOCK_TIMEOUT_MS, signal: options.signal });

  if (attempt.kind === "fresh") return { connection: attempt.connection };
  if (attempt.kind === "refreshed" || !attempt.peer) {
    await ctx.audit.append({
      event: "refresh",
      provider,
      connection: connectionName,
      status: attempt.kind === "refreshed" ? "success" : "failure",
      ...(attempt.kind === "failed"
        ? { error: attempt.reason, new_status: attempt.connection.status }
        : { new_status: "connected" }),
    });
  }
  if (attempt.kind === "refreshed") return { connection: attempt.connection };
  const message = refreshFailedMessage(attempt.connection, attempt.reason);
  if (attempt.connection.status === "connected") {
    const until = attempt.connection.expiresAt ?? "expiry";
    return {
      connection: attempt.connection,
      warning: `${message}; using the stored token, valid until ${until}`,
    };
  }
  throw new ConnectionRefreshError(
    message,
    attempt.connection,
    recoveryHint(attempt.connection, attempt.reason),
  );
}

function failedWhileWaiting(connection: Connection, waitingSince: number): boolean {
  if (!connection.lastRefreshError || !connection.lastRefreshAt) return false;
  const at = Date.parse(connection.lastRefreshAt);
  return !Number.isNaN(at) && at >= waitingSince;
}

type RequestResult =
  | { kind: "refreshed"; connection: Connection }
  /**
   * `rejected`: the provider refused the grant (the connection becomes `invalid`). Otherwise
   * (network trouble, or nothing to refresh with) the token stays usable until it expires.
   */
  | { kind: "failed"; reason: string; rejected: boolean; peer: false };

async function requestRefresh(
  ctx: AuthsomeContext,
  definition: ProviderDefinition,
  current: Connection,
  signal: AbortSignal | undefined,
): Promise<RequestResult> {
  if (!current.refreshToken) {
    return { kind: "failed", reason: "no refresh token stored", rejected: false, peer: false };
  }
  if (!definition.oauth) {
    return {
      kind: "failed",
      reason: "provider has no token endpoint",
      rejected: false,
      peer: false,
    };
  }
  const client = await loadClient(ctx, definition);
  if (!client) {
    return { kind: "failed", reason: "no OAuth client stored", rejected: false, peer: false };
  }
  const tokenUrl = resolveTemplate(
    definition.oauth.token_url,
    current.baseUrl ?? definition.oauth.base_url,
  );
  try {
    const tokens = await refreshAccessToken(oauthDeps(ctx, signal), {
      tokenUrl,
      refreshToken: current.refreshToken,
      client,
      timeoutMs: tokenTimeout(ctx),
    });
    const now = ctx.platform.clock.now();
    return {
      kind: "refreshed",
      connection: {
        ...current,
        status: "connected",
        accessToken: tokens.accessToken,
        refreshToken: tokens.refreshToken ?? current.refreshToken,
        tokenType: tokens.tokenType ?? current.tokenType,
        scopes: tokens.scope ? tokens.scope.split(" ").filter(Boolean) : current.scopes,
        expiresAt: tokens.expiresIn === null ? null : rfc3339(now + tokens.expiresIn * 1000),
        obtainedAt: rfc3339(now),
        lastRefreshError: null,
      },
    };
  } catch (error) {
    if (error instanceof EndpointUnreachableError) {
      return { kind: "failed", reason: error.reason, rejected: false, peer: false };
    }
    if (error instanceof OAuthProtocolError) {
      const rejecting = REJECTING_ERRORS.has(error.oauthError);
      // Other OAuth errors (invalid_request, invalid_scope, ...) say nothing certain about
      // the grant: they are reported but never turn the connection invalid.
      // The reason names the provider's own code too when it was normalised.
      return { kind: "failed", reason: error.codeText, rejected: rejecting, peer: false };
    }
    ctx.log.debug(`refresh failed unexpectedly: ${describeError(error)}`);
    throw error;
  }
}
