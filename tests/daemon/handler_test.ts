/**
 * The daemon's request handler, called directly with `Request` objects over a context on a temp
 * home: the security checks (Origin, Host, bearer token), the API, the audit trail and the
 * mapping of errors to HTTP statuses and exit codes.
 */
import assert from "node:assert/strict";
import type { AuthsomeContext } from "../../src/auth/context.ts";
import { createDaemonHandler, MAX_BODY_BYTES } from "../../src/daemon/handler.ts";
import {
  apiKeyProvider,
  connection,
  keyConnection,
  oauthProvider,
  store,
  storeClient,
  testContext,
} from "../auth/_context.ts";
import { Secret } from "../../src/model/secret.ts";

const PORT = 7998;
const TOKEN = "daemon-test-token-0123456789abcdefghijklmnopq";
const OPENAI_KEY = "sk-handlertest0123456789abcdefghij";

interface Call {
  method?: string;
  path: string;
  token?: string | null;
  host?: string | null;
  headers?: Record<string, string>;
  body?: unknown;
}

function request(call: Call): Request {
  const headers = new Headers(call.headers);
  if (call.host !== null) headers.set("host", call.host ?? `127.0.0.1:${PORT}`);
  const token = call.token === undefined ? TOKEN : call.token;
  if (token !== null) headers.set("authorization", `Bearer ${token}`);
  let body: string | undefined;
  if (call.body !== undefined) {
    body = typeof call.body === "string" ? call.body : JSON.stringify(call.body);
    if (!headers.has("content-type")) headers.set("content-type", "application/json");
  }
  return new Request(`http://127.0.0.1:${PORT}${call.path}`, {
    method: call.method ?? (call.body === undefined ? "GET" : "POST"),
    headers,
    body,
  });
}

async function send(ctx: AuthsomeContext, call: Call) {
  const handler = createDaemonHandler(ctx, { token: TOKEN, port: PORT, version: "9.9.9" });
  const response = await handler(request(call));
  const body = await response.json();
  return { status: response.status, headers: response.headers, body };
}

async function auditLines(home: string): Promise<Record<string, unknown>[]> {
  try {
    const text = await Deno.readTextFile(`${home}/audit.log`);
    return text.trim().split("\n").filter(Boolean).map((line) => JSON.parse(line));
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
}

Deno.test("a missing or wrong bearer token is 401 with WWW-Authenticate", async () => {
  await using t = await testContext();
  for (const token of [null, "wrong", `${TOKEN}x`, TOKEN.slice(0, -1), ""]) {
    const reply = await send(t.ctx, { path: "/v1/health", token });
    assert.equal(reply.status, 401, `token ${token}`);
    assert.equal(reply.body.error, "unauthorized");
    assert.equal(reply.body.exit_code, 9);
    assert.match(reply.headers.get("www-authenticate") ?? "", /^Bearer /);
  }
  const other = await send(t.ctx, {
    path: "/v1/health",
    token: null,
    headers: { authorization: `Basic ${TOKEN}` },
  });
  assert.equal(other.status, 401);
});

Deno.test("health needs the token and reports version and pid", async () => {
  await using t = await testContext();
  const reply = await send(t.ctx, {
    path: "/v1/health",
    token: null,
    headers: { authorization: `bearer ${TOKEN}` },
  });
  assert.equal(reply.status, 200);
  assert.equal(reply.body.status, "ok");
  assert.equal(reply.body.version, "9.9.9");
  assert.equal(reply.body.pid, t.platform.pid);
  assert.equal(reply.body.port, PORT);
});

Deno.test("a Host other than the loopback name and our port is 403", async () => {
  await using t = await testContext();
  for (const host of [null, "evil.example", `evil.example:${PORT}`, "127.0.0.1:1", "127.0.0.1"]) {
    const reply = await send(t.ctx, { path: "/v1/health", host });
    assert.equal(reply.status, 403, `host ${host}`);
    assert.equal(reply.body.error, "forbidden");
  }
  for (const host of [`localhost:${PORT}`, `LOCALHOST:${PORT}`, `[::1]:${PORT}`]) {
    assert.equal((await send(t.ctx, { path: "/v1/health", host })).status, 200, host);
  }
});

Deno.test("any Origin header is 403, even same-origin and even before the token check", async () => {
  await using t = await testContext();
  for (const origin of ["https://evil.example", `http://127.0.0.1:${PORT}`, "null"]) {
    for (const token of [TOKEN, null]) {
      const reply = await send(t.ctx, { path: "/v1/health", token, headers: { origin } });
      assert.equal(reply.status, 403, `origin ${origin}`);
      assert.equal(reply.body.error, "forbidden");
    }
  }
});

Deno.test("POST /v1/token serves the credential and its header, audited with via daemon", async () => {
  await using t = await testContext({
    providers: [apiKeyProvider("acme", { header_name: "X-Api-Key", header_prefix: "" })],
  });
  await store(t.ctx, keyConnection("openai", "default", OPENAI_KEY));
  await store(t.ctx, keyConnection("acme", "ci", "acme-key-0123456789"));
  const reply = await send(t.ctx, { path: "/v1/token", body: { provider: "openai" } });
  assert.equal(reply.status, 200, JSON.stringify(reply.body));
  assert.equal(reply.body.provider, "openai");
  assert.equal(reply.body.connection, "default");
  assert.equal(reply.body.auth_type, "api_key");
  assert.equal(reply.body.token, OPENAI_KEY);
  assert.deepEqual(reply.body.header, { name: "Authorization", value: `Bearer ${OPENAI_KEY}` });
  assert.equal(reply.body.expires_at, null);
  const acme = await send(t.ctx, {
    path: "/v1/token",
    body: { provider: "acme", connection: "ci" },
  });
  assert.deepEqual(acme.body.header, { name: "X-Api-Key", value: "acme-key-0123456789" });

  const audit = await auditLines(t.home);
  const gets = audit.filter((entry) => entry.event === "get");
  assert.equal(gets.length, 2);
  assert.equal(gets[0].provider, "openai");
  assert.equal(gets[0].via, "daemon");
  assert.equal(gets[0].field, "token");
  assert.equal(gets[1].connection, "ci");
  assert.ok(!JSON.stringify(audit).includes(OPENAI_KEY), "no secret in the audit log");
});

Deno.test("GET requests have no side effects and return metadata only", async () => {
  await using t = await testContext();
  await store(t.ctx, keyConnection("openai", "default", OPENAI_KEY));
  const before = await Deno.readFile(`${t.home}/vault.enc`);
  const list = await send(t.ctx, { path: "/v1/connections" });
  assert.equal(list.status, 200);
  assert.equal(list.body.connections.length, 1);
  assert.equal(list.body.connections[0].provider, "openai");
  assert.equal(list.body.connections[0].api_key, "[redacted]");
  const one = await send(t.ctx, { path: "/v1/connections/openai/default" });
  assert.equal(one.status, 200);
  assert.equal(one.body.status, "connected");
  const filtered = await send(t.ctx, { path: "/v1/connections?provider=github" });
  assert.deepEqual(filtered.body.connections, []);
  assert.ok(!JSON.stringify([list.body, one.body]).includes(OPENAI_KEY));
  assert.deepEqual(await Deno.readFile(`${t.home}/vault.enc`), before);
  assert.deepEqual(await auditLines(t.home), []);
});

Deno.test("POST /v1/export returns the variables and audits each via daemon", async () => {
  await using t = await testContext();
  await store(t.ctx, keyConnection("openai", "default", OPENAI_KEY));
  const reply = await send(t.ctx, { path: "/v1/export", body: { format: "shell" } });
  assert.equal(reply.status, 200, JSON.stringify(reply.body));
  assert.deepEqual(reply.body.variables, [
    { name: "OPENAI_API_KEY", value: OPENAI_KEY, provider: "openai", connection: "default" },
  ]);
  const [entry] = await auditLines(t.home);
  assert.equal(entry.event, "export");
  assert.equal(entry.via, "daemon");
  assert.equal(entry.format, "shell");
});

Deno.test("errors carry the CLI's code and exit code with a mapped HTTP status", async () => {
  await using t = await testContext();
  await store(t.ctx, keyConnection("openai", "default", OPENAI_KEY));
  const cases: [Call, number, string, number][] = [
    [{ path: "/v1/token", body: { provider: "no-such-provider" } }, 404, "provider_not_found", 3],
    [{ path: "/v1/token", body: { provider: "github" } }, 404, "credential_missing", 5],
    [
      { path: "/v1/token", body: { provider: "openai", connection: "ci" } },
      404,
      "credential_missing",
      5,
    ],
    [{ path: "/v1/connections/github/default" }, 404, "credential_missing", 5],
    [{ path: "/v1/connections/nope-x/default" }, 404, "provider_not_found", 3],
    [{ path: "/v1/connections/open%ZZai/default" }, 400, "usage", 2],
    [{ path: "/v1/connections/a%2Fb/default" }, 400, "usage", 2],
    [{ path: "/v1/token", body: {} }, 400, "usage", 2],
    [{ path: "/v1/token", body: { provider: "../etc" } }, 400, "usage", 2],
    [{ path: "/v1/token", body: { provider: "openai", profile: "a/b" } }, 400, "usage", 2],
    [{ path: "/v1/token", body: "{not json" }, 400, "usage", 2],
    [{ path: "/v1/token", body: "[1]" }, 400, "usage", 2],
    [
      { path: "/v1/token", body: { provider: "openai", profile: "work" } },
      404,
      "credential_missing",
      5,
    ],
    [{ path: "/v1/export", body: { format: "yaml" } }, 400, "usage", 2],
    [{ path: "/v1/token" }, 405, "method_not_allowed", 2],
    [{ path: "/v1/health", body: {} }, 405, "method_not_allowed", 2],
    [{ path: "/v2/token" }, 404, "not_found", 2],
    [{ path: "/" }, 404, "not_found", 2],
    [
      { path: "/v1/token", body: "provider=openai", headers: { "content-type": "text/plain" } },
      415,
      "unsupported_media_type",
      2,
    ],
    [{ path: "/v1/token", body: "x".repeat(MAX_BODY_BYTES + 1) }, 413, "payload_too_large", 2],
  ];
  for (const [call, status, code, exit] of cases) {
    const reply = await send(t.ctx, call);
    const what = `${call.method ?? ""} ${call.path} ${JSON.stringify(call.body)?.slice(0, 60)}`;
    assert.equal(reply.status, status, `${what}: ${JSON.stringify(reply.body)}`);
    assert.equal(reply.body.error, code, what);
    assert.equal(reply.body.exit_code, exit, what);
    assert.equal(typeof reply.body.message, "string");
  }
  const missing = await send(t.ctx, { path: "/v1/token", body: { provider: "github" } });
  assert.equal(missing.body.hint, "authsome login github");
  const method = await send(t.ctx, { path: "/v1/token" });
  assert.equal(method.headers.get("allow"), "POST");
});

Deno.test("a rejected grant is 409, an unreachable token endpoint 502", async () => {
  await using t = await testContext({ providers: [oauthProvider("acme", "http://127.0.0.1:1")] });
  const expired = new Date(t.platform.clock.now() - 60_000).toISOString();
  await store(
    t.ctx,
    connection({
      provider: "github",
      authType: "oauth2",
      status: "invalid",
      accessToken: new Secret("gho_invalidtoken123"),
      refreshToken: new Secret("ghr_invalidrefresh123"),
      expiresAt: expired,
      lastRefreshError: "invalid_grant",
    }),
    connection({
      provider: "acme",
      authType: "oauth2",
      accessToken: new Secret("acme-access-123456"),
      refreshToken: new Secret("acme-refresh-123456"),
      expiresAt: expired,
    }),
  );
  await storeClient(t.ctx, "acme", "client-1");
  const invalid = await send(t.ctx, { path: "/v1/token", body: { provider: "github" } });
  assert.equal(invalid.status, 409, JSON.stringify(invalid.body));
  assert.equal(invalid.body.error, "refresh_failed");
  assert.equal(invalid.body.exit_code, 6);
  assert.match(invalid.body.hint, /authsome login github/);
  const unreachable = await send(t.ctx, { path: "/v1/token", body: { provider: "acme" } });
  assert.equal(unreachable.status, 502, JSON.stringify(unreachable.body));
  assert.equal(unreachable.body.error, "refresh_failed");
  assert.match(unreachable.body.message, /^refresh failed for acme \(default\)/);
  const audit = await auditLines(t.home);
  assert.ok(audit.some((e) => e.event === "refresh" && e.via === "daemon"), "refresh audited");
  assert.ok(!audit.some((e) => e.event === "get"), "nothing was served");
});

Deno.test("vault failures are 503 with exit 7; unexpected errors say nothing inside", async () => {
  await using t = await testContext();
  await store(t.ctx, keyConnection("openai", "default", OPENAI_KEY));
  await Deno.writeFile(`${t.home}/vault.enc`, new Uint8Array(64), { mode: 0o600 });
  const corrupt = await send(t.ctx, { path: "/v1/token", body: { provider: "openai" } });
  assert.equal(corrupt.status, 503);
  assert.equal(corrupt.body.exit_code, 7);

  const broken = {
    ...t.ctx,
    vault: { read: () => Promise.reject(new Error("internal detail")) },
  } as unknown as AuthsomeContext;
  const reply = await send(broken, { path: "/v1/connections" });
  assert.equal(reply.status, 500);
  assert.equal(reply.body.error, "failure");
  assert.equal(reply.body.exit_code, 1);
  assert.ok(!reply.body.message.includes("internal detail"));
});
