/**
 * The daemon's HTTP API as one pure function of a request (no sockets, no files of its own):
 * everything it touches goes through the context, so tests call it with `Request` objects.
 *
 * Security comes first, before routing, in this order: any `Origin` header is refused (403;
 * no browser page may reach the daemon, and there is no CORS); the `Host` header must name the
 * loopback address and our port (403; defeats DNS rebinding); the bearer token must match, in
 * constant time (401). GET requests have no side effects (no refresh, no audit, no writes);
 * POST bodies are JSON, at most 16 KiB.
 *
 * API, version 1 (errors: see `errors.ts`):
 * - `GET  /v1/health` → `{status: "ok", version, pid, port, profile, started_at, uptime_seconds}`
 * - `GET  /v1/connections[?provider=p][&profile=x]` → `{schema_version, profile, connections}`
 *   with each connection's metadata (the `get --json` view, secrets redacted, no refresh)
 * - `GET  /v1/connections/{provider}/{connection}[?profile=x]` → one connection's metadata
 * - `POST /v1/token {provider, connection?, profile?, field?}` → `{schema_version, profile,
 *   provider, connection, auth_type, status, token, header: {name, value}, expires_at, scopes,
 *   warning?}` after the refresh rule; audited as a `get` with `via: "daemon"` and `field`
 *   (`access_token` / `api_key` when the CLI names the field it prints, else `token`)
 * - `POST /v1/export {provider?, connection?, profile?, format?}` → `{schema_version,
 *   variables: [{name, value, provider, connection}], warnings}` (what `authsome export` prints)
 * - `/v1/grants`: see `grant_routes.ts`.
 *
 * Who may do what. The bearer token in `daemon/token` may do everything above, except in key
 * mode `daemon` (the daemon got an `unlockProof`): there a same-user process can read that
 * file, so the token alone only reaches `/v1/health`, `GET /v1/grants` and
 * `DELETE /v1/grants/{name}`; the vault endpoints and minting grants also need the header
 * `X-Authsome-Unlock-Proof` (see `unlockProof` in `src/vault/key_source.ts`). A grant token
 * as the bearer reaches only `GET /v1/grant` (how it is served) and `POST /v1/token`, for the
 * grant's providers while it lives, and only for grants that do not limit hosts or methods (a
 * raw token would escape those limits).
 *
 * @module
 */
import type { AuditSink, AuthsomeContext } from "../auth/context.ts";
import { listConnections, loadConnection } from "../auth/connections.ts";
import { buildExport } from "../auth/export.ts";
import { handOutCredential } from "../auth/hand_out.ts";
import { connectionView } from "../model/connection_view.ts";
import { AuthsomeError, CredentialMissingError, describeError, UsageError } from "../errors.ts";
import { checkName } from "../model/connection.ts";
import type { Grant, GrantRegistry } from "../grants/registry.ts";
import { GrantDeniedError } from "../grants/registry.ts";
import { limitsRequests } from "../grants/spec.ts";
import { RefusalAudit } from "../grants/refusal_audit.ts";
import { DaemonHttpError, errorBody, httpStatus } from "./errors.ts";
import { grantRoute, grantSelf } from "./grant_routes.ts";
import { allow, json, readBody, readJson, sameBytes } from "./request.ts";
import { CHALLENGE_PATH, UNLOCK_HEADER, UnlockChallenges } from "./unlock_challenge.ts";

export { MAX_BODY_BYTES } from "./request.ts";

/** Options of {@linkcode createDaemonHandler}. */
export interface DaemonHandlerOptions {
  /** The bearer token every request must present. */
  token: string;
  /** The port the daemon listens on (the only one `Host` may name). */
  port: number;
  version: string;
  /** When the daemon started (ms since the epoch); default now. */
  startedAt?: number;
  /** The daemon's grants; without it grant endpoints answer 404 and grant tokens 401. */
  grants?: GrantRegistry;
  /**
   * Key mode `daemon`: the proof a caller must add to the bearer token to read the vault or
   * mint grants. Null or absent: the bearer token is enough.
   */
  unlockProof?: Uint8Array | null;
}

/** Who is asking: the holder of `daemon/token` (with or without the unlock proof), or a grant. */
type Caller = { kind: "admin"; unlocked: boolean } | { kind: "grant"; grant: Grant };

const encoder = new TextEncoder();
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const FORMATS = ["env", "shell", "json"];

/** Builds the request handler of a daemon serving `ctx` (its home and default profile). */
export function createDaemonHandler(
  ctx: AuthsomeContext,
  options: DaemonHandlerOptions,
): (request: Request) => Promise<Response> {
  const expected = encoder.encode(options.token);
  const port = options.port;
  const hosts = new Set([`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`]);
  const startedAt = options.startedAt ?? ctx.platform.clock.now();
  const refusals = new RefusalAudit();
  const challenges = options.unlockProof
    ? new UnlockChallenges(ctx.platform, options.unlockProof)
    : null;
  // Everything the daemon audits (served tokens, its refreshes, exports) says it came this way.
  const audit: AuditSink = { append: (entry) => ctx.audit.append({ ...entry, via: "daemon" }) };
  const base: AuthsomeContext = { ...ctx, audit };

  /** The context of the profile a request names (the daemon's own by default). */
  function contextFor(profile: unknown): AuthsomeContext {
    if (profile === undefined || profile === null || profile === ctx.profile) return base;
    // Same vault, key cache and registry: a profile is only a prefix of record ids.
    return { ...base, profile: checkName("profile", text(profile, "profile")) };
  }

  async function guard(request: Request): Promise<Caller> {
    if (request.headers.has("origin")) {
      throw new DaemonHttpError(403, "forbidden", "requests from web pages are refused", {
        exitCode: 9,
      });
    }
    const host = request.headers.get("host")?.toLowerCase();
    if (host === undefined || !hosts.has(host)) {
      throw new DaemonHttpError(403, "forbidden", `Host must be 127.0.0.1:${port}`, {
        exitCode: 9,
      });
    }
    const match = /^Bearer[ ]+(\S+)\s*$/i.exec(request.headers.get("authorization") ?? "");
    if (match && sameBytes(encoder.encode(match[1]), expected)) {
      return { kind: "admin", unlocked: challenges === null };
    }
    const grant = match && options.grants ? await options.grants.byToken(match[1]) : null;
    if (grant) return { kind: "grant", grant };
    const error = match ? ', error="invalid_token"' : "";
    throw new DaemonHttpError(
      401,
      "unauthorized",
      match ? "wrong bearer token" : "missing bearer token",
      {
        exitCode: 9,
        headers: { "WWW-Authenticate": `Bearer realm="authsome"${error}` },
      },
    );
  }

  function requireUnlock(caller: Caller): void {
    if (caller.kind === "admin" && caller.unlocked) return;
    throw new DaemonHttpError(
      403,
      "forbidden",
      caller.kind === "grant"
        ? `grant "${caller.grant.name}" may only ask for tokens (POST /v1/token)`
        : "in key mode daemon the bearer token alone neither opens the vault nor mints " +
          "grants: that takes the passphrase (authsome grant create and run --grant ask for it)",
      { exitCode: 9 },
    );
  }

  async function route(request: Request, url: URL, caller: Caller): Promise<Response> {
    const path = url.pathname;
    const query = url.searchParams;
    if (caller.kind === "grant") {
      if (path === "/v1/grant") {
        allow(request, "GET");
        try {
          return grantSelf(options.grants!, caller.grant.name);
        } catch (error) {
          if (!(error instanceof GrantDeniedError)) throw error;
          throw new DaemonHttpError(403, error.code, error.message, { exitCode: error.exitCode });
        }
      }
      if (path !== "/v1/token") requireUnlock(caller);
      allow(request, "POST");
      return json(200, await grantToken(caller.grant, await readJson(request)));
    }
    if (path === CHALLENGE_PATH && challenges) {
      allow(request, "POST");
      return json(200, { schema_version: 1, nonce: challenges.issue() });
    }
    if (path === "/v1/grants" || path.startsWith("/v1/grants/")) {
      const answer = options.grants
        ? await grantRoute(request, path, {
          grants: options.grants,
          contextFor,
          requireUnlock: () => requireUnlock(caller),
          plain: ctx,
        })
        : null;
      if (answer) return answer;
    } else if (path !== "/v1/health") {
      requireUnlock(caller);
    }
    if (path === "/v1/health") {
      allow(request, "GET");
      const now = ctx.platform.clock.now();
      return json(200, {
        status: "ok",
        version: options.version,
        pid: ctx.platform.pid,
        port,
        profile: ctx.profile,
        started_at: new Date(startedAt).toISOString(),
        uptime_seconds: Math.max(0, Math.floor((now - startedAt) / 1000)),
      });
    }
    if (path === "/v1/connections") {
      allow(request, "GET");
      const c = contextFor(query.get("profile") ?? undefined);
      const provider = query.has("provider") ? providerName(query.get("provider")) : undefined;
      const connections = await listConnections(await c.vault.read(), c.profile, provider);
      connections.sort((a, b) =>
        a.provider.localeCompare(b.provider) || a.connectionName.localeCompare(b.connectionName)
      );
      return json(200, {
        schema_version: 1,
        profile: c.profile,
        connections: connections.map((connection) => connectionView(connection, false)),
      });
    }
    const one = /^\/v1\/connections\/([^/]+)\/([^/]+)$/.exec(path);
    if (one) {
      allow(request, "GET");
      const c = contextFor(query.get("profile") ?? undefined);
      const provider = providerName(decoded(one[1]));
      const name = checkName("connection", decoded(one[2]));
      const connection = await knownProvider(
        c,
        provider,
        async () => await loadConnection(await c.vault.read(), c.profile, provider, name),
      );
      return json(200, { schema_version: 1, ...connectionView(connection, false) });
    }
    if (path === "/v1/token") {
      allow(request, "POST");
      return json(200, await token(await readJson(request)));
    }
    if (path === "/v1/export") {
      allow(request, "POST");
      return json(200, await exportVariables(await readJson(request)));
    }
    throw new DaemonHttpError(404, "not_found", `no such endpoint: ${path.slice(0, 100)}`);
  }

  /** `POST /v1/token` with a grant as the bearer: checked, and audited with its name. */
  async function grantToken(
    grant: Grant,
    body: Record<string, unknown>,
  ): Promise<Record<string, unknown>> {
    const provider = providerName(body.provider);
    try {
      options.grants!.check(grant.name, { provider });
      // A grant uses each provider's default connection in the profile it was minted for;
      // naming another would reach credentials the grant never gave.
      if (body.connection !== undefined || (body.profile ?? grant.profile) !== grant.profile) {
        throw new GrantDeniedError(
          `grant "${grant.name}" uses the default connection of profile ${grant.profile}; ` +
            "it does not choose connections or profiles",
        );
      }
      if (limitsRequests(grant)) {
        throw new GrantDeniedError(
          `grant "${grant.name}" limits hosts or methods, so its raw token is not handed out; ` +
            "use it through its proxy (authsome run --grant)",
        );
      }
    } catch (error) {
      if (error instanceof GrantDeniedError) {
        const admitted = refusals.admit(grant.name, ctx.platform.clock.now());
        if (admitted) {
          await audit.append({
            event: "get",
            provider,
            status: "failure",
            grant: grant.name,
            error: error.message,
            ...(admitted.suppressed > 0 ? { suppressed: admitted.suppressed } : {}),
          });
        }
        throw new DaemonHttpError(403, error.code, error.message, { exitCode: error.exitCode });
      }
      throw error;
    }
    return await token({ provider, profile: grant.profile, field: body.field }, grant.name);
  }

  async function token(
    body: Record<string, unknown>,
    grant?: string,
  ): Promise<Record<string, unknown>> {
    const c = contextFor(body.profile);
    const provider = providerName(body.provider);
    const explicit = body.connection === undefined
      ? undefined
      : text(body.connection, "connection");
    const { connection, warning, header, secret } = await handOutCredential(c, provider, {
      connection: explicit,
      header: true,
      // The CLI says which field it prints; other clients get the token.
      auditField: body.field === "access_token" || body.field === "api_key" ? body.field : "token",
      ...(grant ? { grant } : {}),
    });
    const out: Record<string, unknown> = {
      schema_version: 1,
      profile: c.profile,
      provider,
      connection: connection.connectionName,
      auth_type: connection.authType,
      status: connection.status,
      token: secret?.reveal() ?? null,
      header: { name: header!.name, value: header!.value.reveal() },
      expires_at: connection.expiresAt,
      scopes: connection.scopes,
    };
    if (warning) out.warning = warning;
    return out;
  }

  async function exportVariables(body: Record<string, unknown>): Promise<Record<string, unknown>> {
    const c = contextFor(body.profile);
    const provider = body.provider === undefined ? undefined : providerName(body.provider);
    const format = body.format === undefined ? "env" : text(body.format, "format");
    if (!FORMATS.includes(format)) throw new UsageError(`format must be one of ${FORMATS}`);
    const warnings: string[] = [];
    const entries = await buildExport(c, provider, {
      connection: body.connection === undefined ? undefined : text(body.connection, "connection"),
      format,
      onWarning: (message) => warnings.push(message),
    });
    return {
      schema_version: 1,
      variables: entries.map((entry) => ({
        name: entry.name,
        value: entry.value.reveal(),
        provider: entry.provider,
        connection: entry.connection,
      })),
      warnings,
    };
  }

  /**
   * The admin caller, unlocked when the request answers a challenge (key mode `daemon`); the
   * request comes back with its body re-readable.
   */
  async function unlock(request: Request, url: URL, caller: Caller): Promise<[Request, Caller]> {
    if (caller.kind !== "admin" || caller.unlocked || !request.headers.has(UNLOCK_HEADER)) {
      return [request, caller];
    }
    const body = request.method === "POST" ? await readBody(request) : "";
    const unlocked = await challenges!.verify(request.headers.get(UNLOCK_HEADER), {
      method: request.method,
      path: url.pathname + url.search,
      body,
    });
    const again = request.method === "POST"
      ? new Request(request.url, { method: "POST", headers: request.headers, body })
      : request;
    return [again, { kind: "admin", unlocked }];
  }

  return async (request) => {
    const url = new URL(request.url);
    let response: Response;
    try {
      const [checked, caller] = await unlock(request, url, await guard(request));
      response = await route(checked, url, caller);
    } catch (error) {
      if (!(error instanceof AuthsomeError)) {
        ctx.log.error(`daemon request failed: ${describeError(error)}`, {
          stack: error instanceof Error ? error.stack : undefined,
        });
      }
      const known = error instanceof AuthsomeError ? error : null;
      response = json(known ? httpStatus(known) : 500, errorBody(error), {
        ...(error instanceof DaemonHttpError ? error.headers : {}),
        ...(known?.code === "vault_locked" ? { "Retry-After": "1" } : {}),
      });
    }
    ctx.log.debug(`daemon ${request.method} ${url.pathname.slice(0, 100)} ${response.status}`);
    return response;
  };
}

/** Runs `load`; a missing connection of an unknown provider becomes "provider not found". */
async function knownProvider<T>(
  ctx: AuthsomeContext,
  provider: string,
  load: () => Promise<T>,
): Promise<T> {
  try {
    return await load();
  } catch (error) {
    if (error instanceof CredentialMissingError) (await ctx.providers()).get(provider);
    throw error;
  }
}

function decoded(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new UsageError("malformed percent-encoding in the path");
  }
}

function text(value: unknown, what: string): string {
  if (typeof value !== "string" || value === "") {
    throw new UsageError(`${what} must be a non-empty string`);
  }
  return value;
}

function providerName(value: unknown): string {
  const name = text(value ?? "", "provider");
  if (!NAME.test(name)) throw new UsageError(`invalid provider name "${name.slice(0, 64)}"`);
  return name;
}
