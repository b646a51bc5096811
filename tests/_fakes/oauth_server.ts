/**
 * A fake OAuth 2.0 authorization server for tests (never shipped), on 127.0.0.1 with an
 * ephemeral port, with scriptable faults and provider quirks.
 *
 * Endpoints (paths relative to `server.url`):
 * - `GET /authorize`: auto-approves; 302 to `redirect_uri?code=…&state=…&iss=…` (RFC 9207 `iss`).
 *   Requires PKCE S256 (`code_challenge_method=S256`) unless `requirePkce: false`. An invalid
 *   or unregistered `redirect_uri` gets a 400 page (never a redirect).
 * - `POST /token`: `authorization_code` (checks `redirect_uri` and the PKCE `code_verifier`),
 *   `refresh_token` (rotates on every refresh; replaying a superseded refresh token revokes the
 *   whole grant, RFC 9700 §4.14.2), `urn:ietf:params:oauth:grant-type:device_code` (scripted
 *   poll answers). Form or JSON bodies; client auth `none`, `client_secret_post` or
 *   `client_secret_basic` (form-decoded id and secret, RFC 6749 §2.3.1); a client with
 *   `authMethod` (or a DCR client under `enforceAuthMethod`) must use exactly that method.
 * - `POST /device/code`: RFC 8628 device authorization. `GET /device` shows a confirmation page
 *   that `confirmDeviceCode()` (user_agent.ts) can submit; `POST /device` approves.
 * - `POST /register`: RFC 7591 (JSON), 201 with `client_id` (+ `client_secret` unless
 *   `token_endpoint_auth_method` is `none`). With `initialAccessToken` set, it requires
 *   `Authorization: Bearer <it>` (RFC 7591 §3).
 * - `POST /revoke`: RFC 7009; always 200; revoking a refresh token revokes its grant.
 * - `GET /.well-known/oauth-authorization-server` (RFC 8414) and
 *   `GET /.well-known/openid-configuration`: metadata (optionally with a wrong `issuer`).
 * - `GET /resource`: a protected resource; 200 for an active access token, else 401 with
 *   `WWW-Authenticate: Bearer error="invalid_token"` (RFC 6750 §3).
 *
 * Faults: `server.faults.push("/token", {oauthError: "invalid_grant"})` makes the next request
 * to that path fail; see {@link Fault}. A helper {@link refusedUrl} gives a URL nobody listens on.
 *
 * Tests that call it with `fetch` should call {@link clearProxyEnv} first: Deno's fetch
 * honours HTTP(S)_PROXY even for 127.0.0.1.
 */

/** OAuth error codes the server can send (any string is accepted). */
export type OAuthErrorCode =
  | "invalid_request"
  | "invalid_client"
  | "invalid_grant"
  | "unauthorized_client"
  | "unsupported_grant_type"
  | "invalid_scope"
  | "access_denied"
  | "expired_token"
  | "authorization_pending"
  | "slow_down"
  | "server_error"
  | "temporarily_unavailable"
  | "bad_verification_code"
  | "invalid_redirect_uri"
  | "invalid_client_metadata"
  | (string & Record<never, never>);

/**
 * One injected fault, applied to the next request(s) to one path. Fields combine, e.g.
 * `{delayMs: 50, oauthError: "invalid_grant", status: 200}`. Order of effect: `delayMs`, then
 * `dropConnection`, then `oauthError` or a raw `status`/`body` answer (the request is then NOT
 * processed: no token is issued or rotated), else the request is processed normally and the
 * modifiers (`formEncoded`, `expiresInAsString`, `expiresIn`, `omitRefreshToken`,
 * `redirectParams`) shape the answer.
 */
export interface Fault {
  /**
   * Answer with this OAuth error instead of processing the request. Status defaults to 400
   * (401 for `invalid_client`); `status: 200` gives GitHub's 200-with-error. On `/authorize`
   * the error is sent as a redirect to `redirect_uri` (`error=…&state=…`).
   */
  oauthError?: OAuthErrorCode;
  /** `error_description` sent with `oauthError`. */
  errorDescription?: string;
  /**
   * HTTP status. Without `oauthError`: answer with this status (500, 503, 429, ...) and a
   * plain-text body (`body`, default the status text), without processing the request.
   */
  status?: number;
  /** Raw body for a raw answer (with or without `status`, default status 200). */
  body?: string;
  /** Content type of a raw answer (default `text/plain; charset=utf-8`). */
  contentType?: string;
  /** `Retry-After` header (seconds or an HTTP date) on the answer. */
  retryAfter?: number | string;
  /**
   * Wait this long before answering (use with a client timeout). Processing happens after the
   * wait, even when the client has given up: like a real server, a timed-out refresh may still
   * rotate the refresh token. The wait ends early only when the server closes.
   */
  delayMs?: number;
  /**
   * Cut the connection: the status line and headers are sent, then the connection is aborted
   * before any body byte, so `fetch()` resolves but reading the body rejects with a TypeError
   * ("error reading a body from connection"). The request is not processed.
   * (Deno.serve cannot drop a connection before the headers; for a refused connection use
   * {@link refusedUrl}.)
   */
  dropConnection?: boolean;
  /** Answer `application/x-www-form-urlencoded` instead of JSON (GitHub), errors included. */
  formEncoded?: boolean;
  /** Send `expires_in` as a digit string, e.g. `"3600"` (Azure AD v1). */
  expiresInAsString?: boolean;
  /** Send this `expires_in` instead (e.g. `"1h"` or `-5`); `null` omits it. */
  expiresIn?: number | string | null;
  /**
   * Issue no refresh token in this token response. On a refresh, the presented refresh token
   * is then NOT rotated and stays valid (RFC 6749 §6: the client keeps it).
   */
  omitRefreshToken?: boolean;
  /**
   * `/authorize` only: override parameters of the redirect (`null` removes one), e.g.
   * `{state: "forged"}`, `{iss: "https://evil.example"}`, `{code: null}`.
   */
  redirectParams?: Record<string, string | null>;
  /** Apply to this many consecutive requests (default 1; `Infinity` until cleared). */
  times?: number;
}

/** The per-path fault queues. */
export interface FaultQueue {
  /** Queues faults for the next requests to `path` (e.g. "/token"), in order. */
  push(path: string, ...faults: Fault[]): void;
  /** Removes queued faults of one path, or of every path. */
  clear(path?: string): void;
  /** How many requests the queued faults of `path` still cover. */
  pending(path: string): number;
}

/** A request as the server received it. */
export interface RecordedRequest {
  method: string;
  /** The pathname, e.g. "/token". */
  path: string;
  /** Query parameters. */
  query: Record<string, string>;
  /**
   * The request's parameters: the form or JSON body for POST (JSON values that are not strings
   * are JSON-encoded), the query for GET.
   */
  params: Record<string, string>;
  /** The parsed JSON body, when the body was JSON. */
  json?: unknown;
  /** The raw body text. */
  body: string;
  /** The request's content type ("" when none). */
  contentType: string;
  /** Headers, lower-cased names. */
  headers: Record<string, string>;
  /** The client id the request identified (Basic header or `client_id` parameter). */
  clientId?: string;
  /** How the client authenticated. */
  clientAuth: "client_secret_basic" | "client_secret_post" | "none";
  /** The fault applied to it, if any. */
  fault?: Fault;
  /** The HTTP status answered (0 until answered). */
  status: number;
  /** Arrival time (server clock, ms). */
  at: number;
}

/** A scripted answer to one device-code poll. */
export type DevicePollStep =
  | "ok"
  | "authorization_pending"
  | "slow_down"
  | "access_denied"
  | "expired_token";

/** A client the server knows. */
export interface FakeClient {
  clientId: string;
  /** When set, the client must authenticate with it (post or basic). */
  clientSecret?: string;
  /** When set, `/authorize` accepts only these (loopback URIs match on any port). */
  redirectUris?: string[];
  /** The metadata it registered with (DCR). */
  metadata?: Record<string, unknown>;
  /**
   * When set, the client must authenticate exactly this way at `/token`, `/device/code` and
   * `/revoke` (any other way: `invalid_client`), as a real server holds a client to its
   * registered `token_endpoint_auth_method`. Unset: any way is accepted.
   */
  authMethod?: "client_secret_basic" | "client_secret_post" | "none";
}

/** Settings, all changeable after start through `server.config`. */
export interface FakeAuthServerConfig {
  /** `expires_in` of access tokens in seconds; `null` omits it (default 3600). */
  accessTokenTtl: number | null;
  /** Rotate refresh tokens on every refresh (default true). Off: the response has none. */
  rotateRefreshTokens: boolean;
  /** Replaying a superseded refresh token revokes the grant (default true); off: just invalid_grant. */
  revokeGrantOnReuse: boolean;
  /** Unknown `client_id`s get `invalid_client` / a 400 page (default false: any id is a public client). */
  requireKnownClient: boolean;
  /** `/authorize` requires `code_challenge` with S256 (default true). */
  requirePkce: boolean;
  /** Requests without any client id are accepted as the public client `anonymous` (default false). */
  allowAnonymousClients: boolean;
  /** `/authorize` redirects with `error=access_denied` (default false). */
  denyAuthorization: boolean;
  /**
   * Answers to successive polls of each new device code (copied when the code is issued).
   * After the script, a poll answers `ok`/`access_denied` if approved or denied (POST /device,
   * `approveDevice`), else `authorization_pending`. Default `["ok"]`; `[]` waits for approval.
   */
  devicePollScript: DevicePollStep[];
  /** `interval` of device authorization responses; `null` omits it (default 5). */
  deviceInterval: number | null;
  /** `expires_in` of device codes in seconds (default 600). */
  deviceExpiresIn: number;
  /** Scope granted when the request names none (default "read"). */
  defaultScope: string;
  /** `token_type` of token responses (default "Bearer"). */
  tokenType: string;
  /** GitHub: answer form-encoded unless the request's `Accept` includes application/json. */
  formEncodedUnlessAcceptJson: boolean;
  /** Metadata `issuer` to serve instead of the real one (RFC 8414 §3.3 mismatch tests). */
  metadataIssuer?: string;
  /** Extra metadata fields; `null` removes a field (e.g. `{registration_endpoint: null}`). */
  metadata: Record<string, unknown>;
  /**
   * Dynamically registered clients are held to the method they registered with (default
   * false: any method is accepted). See {@link FakeClient.authMethod}.
   */
  enforceAuthMethod: boolean;
  /**
   * RFC 7591 §3: `/register` requires `Authorization: Bearer <this>` (else 401
   * `invalid_token`). Default: open registration.
   */
  initialAccessToken?: string;
}

/** Options of {@link startFakeAuthServer}. */
export interface FakeAuthServerOptions extends Partial<FakeAuthServerConfig> {
  /** Pre-registered clients. */
  clients?: FakeClient[];
  /** Serve a wrong metadata issuer: the real one plus a trailing slash. */
  wrongIssuer?: boolean;
  /**
   * A path for the issuer, e.g. "/tenant": issuer `http://127.0.0.1:<port>/tenant`, metadata at
   * `/.well-known/oauth-authorization-server/tenant` (RFC 8414 §3.1) and
   * `/tenant/.well-known/openid-configuration`. Endpoints stay at the root paths.
   */
  issuerPath?: string;
  /** The server's clock in ms (default `Date.now`): token, code and device-code expiry. */
  now?: () => number;
}

/** What tests can learn about a grant. */
export interface GrantInfo {
  id: string;
  clientId: string;
  scope: string;
  revoked: boolean;
  /** Why it was revoked. */
  revokedReason?: "refresh_token_reuse" | "revocation" | "code_reuse";
  /** The refresh token currently valid for it (none once revoked or if never issued). */
  refreshToken?: string;
  /** Every refresh token it has had, oldest first. */
  refreshTokens: string[];
  /** Every access token issued under it, oldest first. */
  accessTokens: string[];
  /** Successful refreshes. */
  refreshCount: number;
}

/** A running fake authorization server. */
export interface FakeAuthServer {
  /** `http://127.0.0.1:<port>` */
  url: string;
  port: number;
  /** The issuer identifier (`url` plus `issuerPath`). */
  issuer: string;
  /** Mutable settings. */
  config: FakeAuthServerConfig;
  /** Every request received, in arrival order. */
  requests: RecordedRequest[];
  /** The requests to `POST /token`. */
  tokenRequests(): RecordedRequest[];
  /** The requests to one path. */
  requestsTo(path: string): RecordedRequest[];
  /** Fault injection. */
  faults: FaultQueue;
  /** Errors thrown inside the server's handler (should stay empty). */
  errors: unknown[];
  /** Successful dynamic registrations. */
  readonly registrations: number;
  /** Tokens received by `/revoke`, in order. */
  revokedTokens: string[];
  /** Adds (or replaces) a known client. */
  addClient(client: FakeClient): void;
  /** A known client (pre-registered, registered by DCR). */
  client(clientId: string): FakeClient | undefined;
  /** Plants a grant the server knows, as if a login had happened earlier. */
  seedGrant(seed: {
    refreshToken: string;
    accessToken?: string;
    clientId: string;
    scope?: string;
  }): GrantInfo;
  /** A grant by id, or by any access or refresh token it ever issued. */
  grant(idOrToken: string): GrantInfo | undefined;
  /** Every grant. */
  grants(): GrantInfo[];
  /** True when the grant (by id or any of its tokens) is revoked. Throws if unknown. */
  isGrantRevoked(idOrToken: string): boolean;
  /** The current refresh token of the grant (by id or any of its tokens). */
  currentRefreshToken(idOrToken: string): string | undefined;
  /** True for an access token that is issued, unexpired, unrevoked, in an unrevoked grant. */
  isAccessTokenActive(token: string): boolean;
  /**
   * Decides a pending device authorization (by user code or device code): polls after the
   * script answer `ok` (or `access_denied`).
   */
  approveDevice(code: string, decision?: "ok" | "access_denied"): void;
  /** Stops the server (pending delays end) and waits for it. Idempotent. */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

const PROXY_VARS = [
  "HTTP_PROXY",
  "HTTPS_PROXY",
  "ALL_PROXY",
  "http_proxy",
  "https_proxy",
  "all_proxy",
];

/**
 * Removes proxy variables from this process's environment and sets `NO_PROXY` for loopback,
 * so that `fetch` reaches 127.0.0.1 directly. Call it at the top of test modules.
 */
export function clearProxyEnv(): void {
  for (const name of PROXY_VARS) Deno.env.delete(name);
  Deno.env.set("NO_PROXY", "127.0.0.1,localhost,::1");
  Deno.env.set("no_proxy", "127.0.0.1,localhost,::1");
}

/** A `http://127.0.0.1:<port>` URL where nothing listens (connection refused). */
export function refusedUrl(): string {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return `http://127.0.0.1:${port}`;
}

const DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code";

interface Grant {
  id: string;
  clientId: string;
  scope: string;
  revoked: boolean;
  revokedReason?: GrantInfo["revokedReason"];
  current?: string;
  refreshTokens: string[];
  accessTokens: string[];
  refreshCount: number;
}

interface TokenRecord {
  kind: "access" | "refresh";
  grantId: string;
  expiresAt?: number;
  revoked: boolean;
}

interface CodeRecord {
  clientId: string;
  redirectUri: string;
  challenge?: string;
  scope: string;
  used: boolean;
  grantId?: string;
  expiresAt: number;
}

interface DeviceRecord {
  deviceCode: string;
  userCode: string;
  clientId: string;
  scope: string;
  script: DevicePollStep[];
  decision?: "ok" | "access_denied";
  done: boolean;
  expiresAt: number;
}

interface QueuedFault {
  fault: Fault;
  remaining: number;
}

class OAuthFailure extends Error {
  constructor(
    readonly code: string,
    readonly description?: string,
    readonly status?: number,
  ) {
    super(code);
  }
}

interface Context {
  req: Request;
  url: URL;
  record: RecordedRequest;
  fault?: Fault;
}

/** Starts the server on 127.0.0.1 with an ephemeral port. */
export function startFakeAuthServer(
  options: FakeAuthServerOptions = {},
): Promise<FakeAuthServer> {
  const now = options.now ?? Date.now;
  const config: FakeAuthServerConfig = {
    accessTokenTtl: options.accessTokenTtl === undefined ? 3600 : options.accessTokenTtl,
    rotateRefreshTokens: options.rotateRefreshTokens ?? true,
    revokeGrantOnReuse: options.revokeGrantOnReuse ?? true,
    requireKnownClient: options.requireKnownClient ?? false,
    allowAnonymousClients: options.allowAnonymousClients ?? false,
    requirePkce: options.requirePkce ?? true,
    denyAuthorization: options.denyAuthorization ?? false,
    devicePollScript: options.devicePollScript ?? ["ok"],
    deviceInterval: options.deviceInterval === undefined ? 5 : options.deviceInterval,
    deviceExpiresIn: options.deviceExpiresIn ?? 600,
    defaultScope: options.defaultScope ?? "read",
    tokenType: options.tokenType ?? "Bearer",
    formEncodedUnlessAcceptJson: options.formEncodedUnlessAcceptJson ?? false,
    metadataIssuer: options.metadataIssuer,
    metadata: options.metadata ?? {},
    enforceAuthMethod: options.enforceAuthMethod ?? false,
    initialAccessToken: options.initialAccessToken,
  };
  const issuerPath = (options.issuerPath ?? "").replace(/\/+$/, "");
  if (issuerPath && !issuerPath.startsWith("/")) throw new Error("issuerPath must start with /");

  const requests: RecordedRequest[] = [];
  const errors: unknown[] = [];
  const revokedTokens: string[] = [];
  const queues = new Map<string, QueuedFault[]>();
  const clients = new Map<string, FakeClient>();
  const grants = new Map<string, Grant>();
  const tokens = new Map<string, TokenRecord>();
  const codes = new Map<string, CodeRecord>();
  const devices = new Map<string, DeviceRecord>();
  let registrations = 0;
  let counter = 0;
  for (const client of options.clients ?? []) clients.set(client.clientId, { ...client });

  const closing = new AbortController();
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    onListen: () => {},
    onError: (error) => {
      errors.push(error);
      return Response.json({ error: "server_error", error_description: String(error) }, {
        status: 500,
      });
    },
  }, handle);
  const port = server.addr.port;
  const url = `http://127.0.0.1:${port}`;
  const issuer = url + issuerPath;
  if (options.wrongIssuer && config.metadataIssuer === undefined) {
    config.metadataIssuer = `${issuer}/`;
  }

  // ---- helpers -------------------------------------------------------------------------------

  function id(prefix: string): string {
    const bytes = crypto.getRandomValues(new Uint8Array(18));
    const random = btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_")
      .replace(/=+$/, "");
    return `${prefix}_${++counter}_${random}`;
  }

  function userCode(): string {
    const alphabet = "BCDFGHJKLMNPQRSTVWXZ";
    const bytes = crypto.getRandomValues(new Uint8Array(8));
    const chars = [...bytes].map((b) => alphabet[b % alphabet.length]).join("");
    return `${chars.slice(0, 4)}-${chars.slice(4)}`;
  }

  function takeFault(path: string): Fault | undefined {
    const queue = queues.get(path);
    if (!queue || queue.length === 0) return undefined;
    const head = queue[0];
    head.remaining--;
    if (head.remaining <= 0) queue.shift();
    return head.fault;
  }

  /** Waits `ms`, or less if the server closes. */
  function sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const signal = closing.signal;
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener("abort", done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      if (signal.aborted) return done();
      signal.addEventListener("abort", done, { once: true });
    });
  }

  function wantsForm(ctx: Context): boolean {
    if (ctx.fault?.formEncoded) return true;
    if (!config.formEncodedUnlessAcceptJson) return false;
    return !(ctx.req.headers.get("accept") ?? "").includes("application/json");
  }

  function answer(
    ctx: Context,
    body: Record<string, unknown>,
    status = 200,
    headers: Record<string, string> = {},
  ): Response {
    const h = new Headers({ "cache-control": "no-store", pragma: "no-cache", ...headers });
    if (ctx.fault?.retryAfter !== undefined) h.set("retry-after", String(ctx.fault.retryAfter));
    if (wantsForm(ctx)) {
      const form = new URLSearchParams();
      for (const [k, v] of Object.entries(body)) {
        if (v !== undefined && v !== null) form.set(k, String(v));
      }
      h.set("content-type", "application/x-www-form-urlencoded; charset=utf-8");
      return new Response(form.toString(), { status, headers: h });
    }
    h.set("content-type", "application/json; charset=utf-8");
    return new Response(JSON.stringify(body), { status, headers: h });
  }

  function oauthError(ctx: Context, failure: OAuthFailure): Response {
    const status = failure.status ?? (failure.code === "invalid_client" ? 401 : 400);
    const headers: Record<string, string> = {};
    if (status === 401 && ctx.record.clientAuth === "client_secret_basic") {
      headers["www-authenticate"] = 'Basic realm="fake-oauth"';
    }
    const body: Record<string, unknown> = { error: failure.code };
    if (failure.description) body.error_description = failure.description;
    return answer(ctx, body, status, headers);
  }

  function html(body: string, status = 200): Response {
    return new Response(
      `<!DOCTYPE html><html><head><title>fake-oauth</title></head><body>${body}</body></html>`,
      {
        status,
        headers: { "content-type": "text/html; charset=utf-8" },
      },
    );
  }

  function escapeHtml(text: string): string {
    return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  }

  /** RFC 6749 §2.3.1: the Basic credentials are form-encoded before base64. */
  function formDecode(text: string): string {
    try {
      return decodeURIComponent(text.replace(/\+/g, " "));
    } catch {
      return text;
    }
  }

  function identifyClient(req: Request, params: Record<string, string>, record: RecordedRequest) {
    const authorization = req.headers.get("authorization") ?? "";
    const basic = /^basic\s+(.+)$/i.exec(authorization);
    if (basic) {
      let decoded = "";
      try {
        decoded = atob(basic[1].trim());
      } catch {
        throw new OAuthFailure("invalid_client", "malformed Basic credentials");
      }
      const colon = decoded.indexOf(":");
      if (colon === -1) throw new OAuthFailure("invalid_client", "malformed Basic credentials");
      record.clientAuth = "client_secret_basic";
      record.clientId = formDecode(decoded.slice(0, colon));
      return { clientId: record.clientId, secret: formDecode(decoded.slice(colon + 1)) };
    }
    if (params.client_id) record.clientId = params.client_id;
    if (params.client_secret !== undefined) record.clientAuth = "client_secret_post";
    return { clientId: params.client_id, secret: params.client_secret };
  }

  /** A client held to one method (FakeClient.authMethod) must have used it. */
  function checkAuthMethod(ctx: Context, known: FakeClient | undefined): void {
    if (known?.authMethod && known.authMethod !== ctx.record.clientAuth) {
      throw new OAuthFailure(
        "invalid_client",
        `client authenticated with ${ctx.record.clientAuth}, registered for ${known.authMethod}`,
      );
    }
  }

  /** Client authentication at the token endpoint (and device/revoke). Returns the client id. */
  function authenticate(ctx: Context): string {
    const { clientId, secret } = identifyClient(ctx.req, ctx.record.params, ctx.record);
    if (
      ctx.record.clientAuth === "client_secret_basic" && ctx.record.params.client_id &&
      ctx.record.params.client_id !== clientId
    ) {
      throw new OAuthFailure("invalid_request", "client_id does not match the Basic credentials");
    }
    if (!clientId && config.allowAnonymousClients) return "anonymous";
    if (!clientId) throw new OAuthFailure("invalid_client", "no client authentication included");
    const known = clients.get(clientId);
    if (!known) {
      if (config.requireKnownClient) throw new OAuthFailure("invalid_client", "unknown client");
      return clientId;
    }
    checkAuthMethod(ctx, known);
    if (known.clientSecret !== undefined && known.clientSecret !== secret) {
      throw new OAuthFailure("invalid_client", "client authentication failed");
    }
    return clientId;
  }

  function isLoopback(u: URL): boolean {
    return u.protocol === "http:" &&
      (u.hostname === "127.0.0.1" || u.hostname === "[::1]" || u.hostname === "localhost");
  }

  function redirectAllowed(client: FakeClient | undefined, redirectUri: URL): boolean {
    if (!client?.redirectUris) return true;
    return client.redirectUris.some((registered) => {
      const r = new URL(registered);
      if (isLoopback(r) && isLoopback(redirectUri)) {
        // RFC 8252 §7.3: any port for loopback redirects.
        return r.hostname === redirectUri.hostname && r.pathname === redirectUri.pathname &&
          r.search === redirectUri.search;
      }
      return r.href === redirectUri.href;
    });
  }

  function newGrant(clientId: string, scope: string): Grant {
    const grant: Grant = {
      id: id("grant"),
      clientId,
      scope,
      revoked: false,
      refreshTokens: [],
      accessTokens: [],
      refreshCount: 0,
    };
    grants.set(grant.id, grant);
    return grant;
  }

  function revokeGrant(grant: Grant, reason: NonNullable<GrantInfo["revokedReason"]>): void {
    if (grant.revoked) return;
    grant.revoked = true;
    grant.revokedReason = reason;
    grant.current = undefined;
  }

  function issueAccessToken(grant: Grant): string {
    const token = id("at");
    const ttl = config.accessTokenTtl;
    tokens.set(token, {
      kind: "access",
      grantId: grant.id,
      expiresAt: ttl === null ? undefined : now() + ttl * 1000,
      revoked: false,
    });
    grant.accessTokens.push(token);
    return token;
  }

  function issueRefreshToken(grant: Grant, token = id("rt")): string {
    tokens.set(token, { kind: "refresh", grantId: grant.id, revoked: false });
    grant.refreshTokens.push(token);
    grant.current = token;
    return token;
  }

  function tokenResponse(
    ctx: Context,
    grant: Grant,
    refreshToken: string | undefined,
  ): Response {
    const body: Record<string, unknown> = {
      access_token: issueAccessToken(grant),
      token_type: config.tokenType,
    };
    if (config.accessTokenTtl !== null) body.expires_in = config.accessTokenTtl;
    if (refreshToken) body.refresh_token = refreshToken;
    body.scope = grant.scope;
    const fault = ctx.fault;
    if (fault && "expiresIn" in fault) {
      if (fault.expiresIn === null) delete body.expires_in;
      else body.expires_in = fault.expiresIn;
    }
    if (fault?.expiresInAsString && body.expires_in !== undefined) {
      body.expires_in = String(body.expires_in);
    }
    return answer(ctx, body);
  }

  function findGrant(idOrToken: string): Grant | undefined {
    const direct = grants.get(idOrToken);
    if (direct) return direct;
    const token = tokens.get(idOrToken);
    return token ? grants.get(token.grantId) : undefined;
  }

  function info(grant: Grant): GrantInfo {
    return {
      id: grant.id,
      clientId: grant.clientId,
      scope: grant.scope,
      revoked: grant.revoked,
      revokedReason: grant.revokedReason,
      refreshToken: grant.current,
      refreshTokens: [...grant.refreshTokens],
      accessTokens: [...grant.accessTokens],
      refreshCount: grant.refreshCount,
    };
  }

  function metadata(): Record<string, unknown> {
    const doc: Record<string, unknown> = {
      issuer: config.metadataIssuer ?? issuer,
      authorization_endpoint: `${url}/authorize`,
      token_endpoint: `${url}/token`,
      device_authorization_endpoint: `${url}/device/code`,
      registration_endpoint: `${url}/register`,
      revocation_endpoint: `${url}/revoke`,
      response_types_supported: ["code"],
      grant_types_supported: ["authorization_code", "refresh_token", DEVICE_GRANT],
      code_challenge_methods_supported: ["S256"],
      token_endpoint_auth_methods_supported: ["none", "client_secret_post", "client_secret_basic"],
      revocation_endpoint_auth_methods_supported: [
        "none",
        "client_secret_post",
        "client_secret_basic",
      ],
      scopes_supported: ["read", "write", "offline_access"],
      authorization_response_iss_parameter_supported: true,
    };
    for (const [k, v] of Object.entries(config.metadata)) {
      if (v === null) delete doc[k];
      else doc[k] = v;
    }
    return doc;
  }

  // ---- endpoints -----------------------------------------------------------------------------

  function authorize(ctx: Context): Response {
    const p = ctx.record.params;
    const clientId = p.client_id;
    if (!clientId) return html("<p>invalid_request: missing client_id</p>", 400);
    const client = clients.get(clientId);
    if (!client && config.requireKnownClient) return html("<p>invalid_client</p>", 400);
    let redirect: URL;
    try {
      redirect = new URL(p.redirect_uri ?? "");
    } catch {
      return html("<p>invalid_request: missing or invalid redirect_uri</p>", 400);
    }
    if (!redirectAllowed(client, redirect)) {
      return html("<p>invalid_request: redirect_uri is not registered</p>", 400);
    }
    const params: Record<string, string | null> = {};
    const fault = ctx.fault;
    if (fault?.oauthError || config.denyAuthorization) {
      params.error = fault?.oauthError ?? "access_denied";
      const description = fault?.errorDescription ??
        (fault?.oauthError ? undefined : "the user denied the request");
      if (description) params.error_description = description;
    } else if (p.response_type !== "code") {
      params.error = "unsupported_response_type";
    } else if (config.requirePkce && !p.code_challenge) {
      params.error = "invalid_request";
      params.error_description = "code_challenge required (PKCE)";
    } else if (p.code_challenge && p.code_challenge_method !== "S256") {
      params.error = "invalid_request";
      params.error_description = "code_challenge_method must be S256";
    } else {
      const code = id("code");
      codes.set(code, {
        clientId,
        redirectUri: p.redirect_uri,
        challenge: p.code_challenge,
        scope: p.scope || config.defaultScope,
        used: false,
        expiresAt: now() + 600_000,
      });
      params.code = code;
    }
    if (p.state !== undefined) params.state = p.state;
    params.iss = issuer;
    Object.assign(params, fault?.redirectParams ?? {});
    for (const [k, v] of Object.entries(params)) {
      if (v === null) redirect.searchParams.delete(k);
      else redirect.searchParams.set(k, v);
    }
    return new Response(null, {
      status: 302,
      headers: { location: redirect.href, "cache-control": "no-store" },
    });
  }

  async function pkceMatches(verifier: string, challenge: string): Promise<boolean> {
    if (!/^[A-Za-z0-9._~-]{43,128}$/.test(verifier)) return false;
    const digest = new Uint8Array(
      await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier)),
    );
    const encoded = btoa(String.fromCharCode(...digest)).replace(/\+/g, "-").replace(/\//g, "_")
      .replace(/=+$/, "");
    return encoded === challenge;
  }

  async function token(ctx: Context): Promise<Response> {
    const clientId = authenticate(ctx);
    const p = ctx.record.params;
    const omitRefresh = ctx.fault?.omitRefreshToken === true;
    switch (p.grant_type) {
      case "authorization_code": {
        const code = codes.get(p.code ?? "");
        if (!code) throw new OAuthFailure("invalid_grant", "unknown authorization code");
        if (code.used) {
          const grant = code.grantId ? grants.get(code.grantId) : undefined;
          if (grant) revokeGrant(grant, "code_reuse");
          throw new OAuthFailure("invalid_grant", "authorization code already used");
        }
        if (now() > code.expiresAt) {
          throw new OAuthFailure("invalid_grant", "authorization code expired");
        }
        if (code.clientId !== clientId) throw new OAuthFailure("invalid_grant", "client mismatch");
        if (p.redirect_uri !== code.redirectUri) {
          throw new OAuthFailure("invalid_grant", "redirect_uri mismatch");
        }
        if (code.challenge) {
          if (!p.code_verifier || !(await pkceMatches(p.code_verifier, code.challenge))) {
            throw new OAuthFailure("invalid_grant", "PKCE verification failed");
          }
        } else if (p.code_verifier) {
          throw new OAuthFailure("invalid_grant", "code_verifier without code_challenge");
        }
        code.used = true;
        const grant = newGrant(clientId, code.scope);
        code.grantId = grant.id;
        return tokenResponse(ctx, grant, omitRefresh ? undefined : issueRefreshToken(grant));
      }
      case "refresh_token": {
        const presented = p.refresh_token ?? "";
        const record = tokens.get(presented);
        if (!record || record.kind !== "refresh") {
          throw new OAuthFailure("invalid_grant", "unknown refresh token");
        }
        const grant = grants.get(record.grantId)!;
        if (grant.clientId !== clientId) throw new OAuthFailure("invalid_grant", "client mismatch");
        if (grant.revoked || record.revoked) {
          throw new OAuthFailure("invalid_grant", "grant revoked");
        }
        if (grant.current !== presented) {
          // A superseded (rotated-away) refresh token: reuse detection.
          if (config.revokeGrantOnReuse) revokeGrant(grant, "refresh_token_reuse");
          throw new OAuthFailure("invalid_grant", "refresh token already used");
        }
        grant.refreshCount++;
        if (omitRefresh || !config.rotateRefreshTokens) {
          return tokenResponse(ctx, grant, undefined);
        }
        return tokenResponse(ctx, grant, issueRefreshToken(grant));
      }
      case DEVICE_GRANT: {
        const device = devices.get(p.device_code ?? "");
        if (!device || device.done) throw new OAuthFailure("invalid_grant", "unknown device_code");
        if (device.clientId !== clientId) {
          throw new OAuthFailure("invalid_grant", "client mismatch");
        }
        if (now() > device.expiresAt) throw new OAuthFailure("expired_token");
        const step = device.script.shift() ?? device.decision ?? "authorization_pending";
        if (step !== "ok") {
          if (step === "access_denied" || step === "expired_token") device.done = true;
          throw new OAuthFailure(step);
        }
        device.done = true;
        const grant = newGrant(clientId, device.scope);
        return tokenResponse(ctx, grant, omitRefresh ? undefined : issueRefreshToken(grant));
      }
      default:
        throw new OAuthFailure(
          p.grant_type ? "unsupported_grant_type" : "invalid_request",
          p.grant_type ? undefined : "missing grant_type",
        );
    }
  }

  function deviceCode(ctx: Context): Response {
    const clientId = authenticate(ctx);
    const device: DeviceRecord = {
      deviceCode: id("dc"),
      userCode: userCode(),
      clientId,
      scope: ctx.record.params.scope || config.defaultScope,
      script: [...config.devicePollScript],
      done: false,
      expiresAt: now() + config.deviceExpiresIn * 1000,
    };
    devices.set(device.deviceCode, device);
    const body: Record<string, unknown> = {
      device_code: device.deviceCode,
      user_code: device.userCode,
      verification_uri: `${url}/device`,
      verification_uri_complete: `${url}/device?user_code=${encodeURIComponent(device.userCode)}`,
      expires_in: config.deviceExpiresIn,
    };
    if (config.deviceInterval !== null) body.interval = config.deviceInterval;
    return answer(ctx, body);
  }

  function findDevice(code: string): DeviceRecord | undefined {
    const direct = devices.get(code);
    if (direct) return direct;
    const normalized = code.toUpperCase().replace(/[^A-Z]/g, "");
    for (const d of devices.values()) {
      if (d.userCode.replace(/-/g, "") === normalized) return d;
    }
    return undefined;
  }

  function devicePage(ctx: Context): Response {
    if (ctx.req.method === "GET") {
      const code = ctx.record.query.user_code ?? "";
      return html(
        `<h1>Confirm device</h1><form method="post" action="/device">` +
          `<input type="hidden" name="user_code" value="${escapeHtml(code)}"/>` +
          `<input type="hidden" name="confirm" value="yes"/></form>`,
      );
    }
    const device = findDevice(ctx.record.params.user_code ?? "");
    if (!device || device.done) return html(`<p class="red">error: unknown code</p>`, 400);
    device.decision = ctx.record.params.abort ? "access_denied" : "ok";
    return html(`<h1>Device ${device.decision === "ok" ? "approved" : "denied"}</h1>`);
  }

  function register(ctx: Context): Response {
    if (config.initialAccessToken !== undefined) {
      const presented = /^bearer\s+(\S+)$/i.exec(ctx.req.headers.get("authorization") ?? "");
      if (presented?.[1] !== config.initialAccessToken) {
        return answer(
          ctx,
          {
            error: "invalid_token",
            error_description: "an initial access token is required",
          },
          401,
          { "www-authenticate": 'Bearer error="invalid_token"' },
        );
      }
    }
    const meta = ctx.record.json;
    if (!meta || typeof meta !== "object" || Array.isArray(meta)) {
      throw new OAuthFailure("invalid_client_metadata", "the body must be a JSON object");
    }
    const m = { ...(meta as Record<string, unknown>) };
    const grantTypes = (m.grant_types as unknown) ?? ["authorization_code"];
    if (!Array.isArray(grantTypes) || grantTypes.some((g) => typeof g !== "string")) {
      throw new OAuthFailure("invalid_client_metadata", "grant_types must be a string array");
    }
    const redirectUris = m.redirect_uris;
    if (redirectUris !== undefined || grantTypes.includes("authorization_code")) {
      if (
        !Array.isArray(redirectUris) || redirectUris.length === 0 ||
        redirectUris.some((u) => typeof u !== "string" || !URL.canParse(u))
      ) {
        throw new OAuthFailure("invalid_redirect_uri", "redirect_uris must be absolute URLs");
      }
    }
    const method = (m.token_endpoint_auth_method as string | undefined) ?? "client_secret_basic";
    if (!["none", "client_secret_post", "client_secret_basic"].includes(method)) {
      throw new OAuthFailure("invalid_client_metadata", "unsupported token_endpoint_auth_method");
    }
    const clientId = id("client");
    const response: Record<string, unknown> = {
      ...m,
      client_id: clientId,
      client_id_issued_at: Math.floor(now() / 1000),
      grant_types: grantTypes,
      response_types: m.response_types ?? ["code"],
      token_endpoint_auth_method: method,
      registration_access_token: id("reg"),
      registration_client_uri: `${url}/register/${clientId}`,
    };
    const client: FakeClient = {
      clientId,
      redirectUris: redirectUris as string[] | undefined,
      metadata: m,
    };
    if (config.enforceAuthMethod) client.authMethod = method as FakeClient["authMethod"];
    if (method !== "none") {
      client.clientSecret = id("secret");
      response.client_secret = client.clientSecret;
      response.client_secret_expires_at = 0;
    }
    clients.set(clientId, client);
    registrations++;
    return answer(ctx, response, 201);
  }

  function revoke(ctx: Context): Response {
    const { clientId } = identifyClient(ctx.req, ctx.record.params, ctx.record);
    checkAuthMethod(ctx, clientId ? clients.get(clientId) : undefined);
    const presented = ctx.record.params.token;
    if (!presented) throw new OAuthFailure("invalid_request", "missing token");
    revokedTokens.push(presented);
    const record = tokens.get(presented);
    if (record) {
      record.revoked = true;
      if (record.kind === "refresh") revokeGrant(grants.get(record.grantId)!, "revocation");
    }
    return new Response(null, { status: 200, headers: { "cache-control": "no-store" } });
  }

  function isActive(token: string): boolean {
    const record = tokens.get(token);
    if (!record || record.kind !== "access" || record.revoked) return false;
    if (grants.get(record.grantId)?.revoked) return false;
    return record.expiresAt === undefined || now() < record.expiresAt;
  }

  function resource(ctx: Context): Response {
    const bearer = /^bearer\s+(\S+)$/i.exec(ctx.req.headers.get("authorization") ?? "");
    if (!bearer) {
      return new Response(JSON.stringify({ error: "invalid_request" }), {
        status: 401,
        headers: {
          "www-authenticate": 'Bearer realm="fake-oauth"',
          "content-type": "application/json",
        },
      });
    }
    if (!isActive(bearer[1])) {
      return new Response(JSON.stringify({ error: "invalid_token" }), {
        status: 401,
        headers: {
          "www-authenticate": 'Bearer realm="fake-oauth", error="invalid_token"',
          "content-type": "application/json",
        },
      });
    }
    const grant = findGrant(bearer[1])!;
    return Response.json({ ok: true, client_id: grant.clientId, scope: grant.scope });
  }

  // ---- dispatch ------------------------------------------------------------------------------

  async function handle(req: Request): Promise<Response> {
    const reqUrl = new URL(req.url);
    const body = req.method === "GET" || req.method === "HEAD" ? "" : await req.text();
    const contentType = req.headers.get("content-type") ?? "";
    const headers: Record<string, string> = {};
    req.headers.forEach((v, k) => (headers[k] = v));
    const query = Object.fromEntries(reqUrl.searchParams);
    const record: RecordedRequest = {
      method: req.method,
      path: reqUrl.pathname,
      query,
      params: req.method === "GET" ? { ...query } : {},
      body,
      contentType,
      headers,
      clientAuth: "none",
      status: 0,
      at: now(),
    };
    requests.push(record);
    let jsonError = false;
    if (body && /json/i.test(contentType)) {
      try {
        record.json = JSON.parse(body);
        if (record.json && typeof record.json === "object" && !Array.isArray(record.json)) {
          for (const [k, v] of Object.entries(record.json as Record<string, unknown>)) {
            record.params[k] = typeof v === "string" ? v : JSON.stringify(v);
          }
        }
      } catch {
        jsonError = true;
      }
    } else if (body) {
      record.params = Object.fromEntries(new URLSearchParams(body));
    }

    const ctx: Context = { req, url: reqUrl, record, fault: takeFault(reqUrl.pathname) };
    record.fault = ctx.fault;
    const response = await respond(ctx, jsonError);
    record.status = response.status;
    return response;
  }

  async function respond(ctx: Context, jsonError: boolean): Promise<Response> {
    const fault = ctx.fault;
    if (fault?.delayMs) await sleep(fault.delayMs);
    if (closing.signal.aborted) return new Response("closing", { status: 503 });
    if (fault?.dropConnection) {
      const body = new ReadableStream({
        start(controller) {
          controller.error(new Error("fake-oauth: connection dropped"));
        },
      });
      return new Response(body, { headers: { "content-type": "application/json" } });
    }
    const path = ctx.url.pathname;
    if (fault?.oauthError && path !== "/authorize") {
      return oauthError(
        ctx,
        new OAuthFailure(fault.oauthError, fault.errorDescription, fault.status),
      );
    }
    if (!fault?.oauthError && (fault?.status !== undefined || fault?.body !== undefined)) {
      const status = fault.status ?? 200;
      const headers = new Headers({
        "content-type": fault.contentType ?? "text/plain; charset=utf-8",
      });
      if (fault.retryAfter !== undefined) headers.set("retry-after", String(fault.retryAfter));
      const text = fault.body ?? (`${status} ${STATUS_TEXT[status] ?? "Error"}`);
      return new Response(text, { status, headers });
    }
    const method = ctx.req.method;
    const post = (handler: (ctx: Context) => Response | Promise<Response>) =>
      method === "POST"
        ? handler(ctx)
        : new Response("method not allowed", { status: 405, headers: { allow: "POST" } });
    try {
      if (jsonError) throw new OAuthFailure("invalid_request", "malformed JSON body");
      switch (path) {
        case "/authorize":
          return method === "GET" || method === "POST"
            ? authorize(ctx)
            : new Response("method not allowed", { status: 405 });
        case "/token":
          return await post(token);
        case "/device/code":
          return await post(deviceCode);
        case "/device":
          return devicePage(ctx);
        case "/register":
          return await post(register);
        case "/revoke":
          return await post(revoke);
        case "/resource":
          return resource(ctx);
      }
      if (
        method === "GET" && (
          path === `/.well-known/oauth-authorization-server${issuerPath}` ||
          path === `${issuerPath}/.well-known/openid-configuration`
        )
      ) {
        return answer(ctx, metadata());
      }
      return Response.json({ error: "not_found" }, { status: 404 });
    } catch (error) {
      if (error instanceof OAuthFailure) return oauthError(ctx, error);
      throw error;
    }
  }

  // ---- the handle ----------------------------------------------------------------------------

  let closed: Promise<void> | undefined;
  const close = () => {
    closed ??= (async () => {
      closing.abort();
      await server.shutdown();
      await server.finished;
    })();
    return closed;
  };

  const handleObject: FakeAuthServer = {
    url,
    port,
    issuer,
    config,
    requests,
    tokenRequests: () => requests.filter((r) => r.path === "/token" && r.method === "POST"),
    requestsTo: (path) => requests.filter((r) => r.path === path),
    faults: {
      push(path, ...faults) {
        const queue = queues.get(path) ?? [];
        for (const fault of faults) queue.push({ fault, remaining: fault.times ?? 1 });
        queues.set(path, queue);
      },
      clear(path) {
        if (path === undefined) queues.clear();
        else queues.delete(path);
      },
      pending(path) {
        return (queues.get(path) ?? []).reduce((n, q) => n + q.remaining, 0);
      },
    },
    errors,
    get registrations() {
      return registrations;
    },
    revokedTokens,
    addClient(client) {
      clients.set(client.clientId, { ...client });
    },
    client(clientId) {
      return clients.get(clientId);
    },
    seedGrant(seed) {
      if (tokens.has(seed.refreshToken)) throw new Error("seedGrant: refresh token already known");
      const grant = newGrant(seed.clientId, seed.scope ?? config.defaultScope);
      issueRefreshToken(grant, seed.refreshToken);
      if (seed.accessToken) {
        const ttl = config.accessTokenTtl;
        tokens.set(seed.accessToken, {
          kind: "access",
          grantId: grant.id,
          expiresAt: ttl === null ? undefined : now() + ttl * 1000,
          revoked: false,
        });
        grant.accessTokens.push(seed.accessToken);
      }
      return info(grant);
    },
    grant(idOrToken) {
      const grant = findGrant(idOrToken);
      return grant ? info(grant) : undefined;
    },
    grants: () => [...grants.values()].map(info),
    isGrantRevoked(idOrToken) {
      const grant = findGrant(idOrToken);
      if (!grant) throw new Error(`no grant for ${idOrToken}`);
      return grant.revoked;
    },
    currentRefreshToken: (idOrToken) => findGrant(idOrToken)?.current,
    isAccessTokenActive: isActive,
    approveDevice(code, decision = "ok") {
      const device = findDevice(code);
      if (!device) throw new Error(`no device authorization for ${code}`);
      device.decision = decision;
    },
    close,
    [Symbol.asyncDispose]: close,
  };
  return Promise.resolve(handleObject);
}

const STATUS_TEXT: Record<number, string> = {
  200: "OK",
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  429: "Too Many Requests",
  500: "Internal Server Error",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout",
};
