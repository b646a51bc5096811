/** Proves the fake authorization server behaves as documented in oauth_server.ts. */
import assert from "node:assert/strict";
import {
  clearProxyEnv,
  type FakeAuthServer,
  refusedUrl,
  startFakeAuthServer,
} from "./oauth_server.ts";
import { completeAuthorization, confirmDeviceCode } from "./user_agent.ts";

clearProxyEnv();

// RFC 7636 appendix B.
const VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
const REDIRECT = "http://127.0.0.1:7999/callback";
const DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code";

interface Answer {
  status: number;
  headers: Headers;
  text: string;
  // deno-lint-ignore no-explicit-any
  json: any;
}

async function read(res: Response): Promise<Answer> {
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

async function post(
  url: string,
  params: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<Answer> {
  return await read(
    await fetch(url, {
      method: "POST",
      headers: { accept: "application/json", ...headers },
      body: new URLSearchParams(params),
    }),
  );
}

async function postJson(url: string, body: unknown): Promise<Answer> {
  return await read(
    await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify(body),
    }),
  );
}

function authorizeUrl(server: FakeAuthServer, extra: Record<string, string> = {}): string {
  return `${server.url}/authorize?${new URLSearchParams({
    response_type: "code",
    client_id: "cli",
    redirect_uri: REDIRECT,
    state: "s1",
    scope: "read write",
    code_challenge: CHALLENGE,
    code_challenge_method: "S256",
    ...extra,
  })}`;
}

async function authorize(server: FakeAuthServer, extra: Record<string, string> = {}) {
  const res = await fetch(authorizeUrl(server, extra), { redirect: "manual" });
  await res.body?.cancel();
  return { status: res.status, location: new URL(res.headers.get("location") ?? "about:blank") };
}

/** A full login: authorize + code exchange. Returns the token response. */
async function login(server: FakeAuthServer, clientId = "cli") {
  const { location } = await authorize(server, { client_id: clientId });
  const code = location.searchParams.get("code")!;
  const answer = await post(`${server.url}/token`, {
    grant_type: "authorization_code",
    code,
    redirect_uri: REDIRECT,
    client_id: clientId,
    code_verifier: VERIFIER,
  });
  assert.equal(answer.status, 200, answer.text);
  return answer.json;
}

function refresh(server: FakeAuthServer, refreshToken: string, clientId = "cli") {
  return post(`${server.url}/token`, {
    grant_type: "refresh_token",
    refresh_token: refreshToken,
    client_id: clientId,
  });
}

Deno.test("metadata: both well-known documents, correct issuer and endpoints", async () => {
  await using server = await startFakeAuthServer();
  for (const path of ["oauth-authorization-server", "openid-configuration"]) {
    const answer = await read(await fetch(`${server.url}/.well-known/${path}`));
    assert.equal(answer.status, 200);
    assert.equal(answer.json.issuer, server.url);
    assert.equal(answer.json.token_endpoint, `${server.url}/token`);
    assert.equal(answer.json.authorization_endpoint, `${server.url}/authorize`);
    assert.equal(answer.json.device_authorization_endpoint, `${server.url}/device/code`);
    assert.equal(answer.json.registration_endpoint, `${server.url}/register`);
    assert.equal(answer.json.revocation_endpoint, `${server.url}/revoke`);
    assert.deepEqual(answer.json.code_challenge_methods_supported, ["S256"]);
  }
  assert.equal(server.issuer, server.url);
});

Deno.test("metadata: wrong issuer, issuer path, overrides", async () => {
  await using wrong = await startFakeAuthServer({ wrongIssuer: true });
  const a = await read(await fetch(`${wrong.url}/.well-known/oauth-authorization-server`));
  assert.equal(a.json.issuer, `${wrong.url}/`);

  await using custom = await startFakeAuthServer({
    metadataIssuer: "https://evil.example",
    metadata: { registration_endpoint: null, extra: 1 },
  });
  const b = await read(await fetch(`${custom.url}/.well-known/oauth-authorization-server`));
  assert.equal(b.json.issuer, "https://evil.example");
  assert.equal("registration_endpoint" in b.json, false);
  assert.equal(b.json.extra, 1);
  custom.config.metadataIssuer = undefined;
  const c = await read(await fetch(`${custom.url}/.well-known/oauth-authorization-server`));
  assert.equal(c.json.issuer, custom.url);

  await using tenant = await startFakeAuthServer({ issuerPath: "/tenant" });
  assert.equal(tenant.issuer, `${tenant.url}/tenant`);
  const d = await read(
    await fetch(`${tenant.url}/.well-known/oauth-authorization-server/tenant`),
  );
  assert.equal(d.json.issuer, `${tenant.url}/tenant`);
  const e = await read(await fetch(`${tenant.url}/tenant/.well-known/openid-configuration`));
  assert.equal(e.json.issuer, `${tenant.url}/tenant`);
  const f = await read(await fetch(`${tenant.url}/.well-known/oauth-authorization-server`));
  assert.equal(f.status, 404);
});

Deno.test("authorize: 302 to the redirect URI with code, state and iss", async () => {
  await using server = await startFakeAuthServer();
  const { status, location } = await authorize(server);
  assert.equal(status, 302);
  assert.equal(`${location.origin}${location.pathname}`, REDIRECT);
  assert.match(location.searchParams.get("code")!, /^code_/);
  assert.equal(location.searchParams.get("state"), "s1");
  assert.equal(location.searchParams.get("iss"), server.issuer);
  const recorded = server.requestsTo("/authorize")[0];
  assert.equal(recorded.params.code_challenge, CHALLENGE);
  assert.equal(recorded.status, 302);
});

Deno.test("authorize: PKCE required (S256 only), deny, errors keep state", async () => {
  await using server = await startFakeAuthServer();
  let r = await authorize(server, { code_challenge: "" });
  assert.equal(r.location.searchParams.get("error"), "invalid_request");
  assert.equal(r.location.searchParams.get("state"), "s1");
  r = await authorize(server, { code_challenge_method: "plain" });
  assert.equal(r.location.searchParams.get("error"), "invalid_request");
  r = await authorize(server, { response_type: "token" });
  assert.equal(r.location.searchParams.get("error"), "unsupported_response_type");

  server.config.denyAuthorization = true;
  r = await authorize(server);
  assert.equal(r.location.searchParams.get("error"), "access_denied");
  assert.equal(r.location.searchParams.get("code"), null);
  assert.equal(r.location.searchParams.get("state"), "s1");
  server.config.denyAuthorization = false;

  server.faults.push("/authorize", { oauthError: "access_denied" });
  r = await authorize(server);
  assert.equal(r.location.searchParams.get("error"), "access_denied");
  r = await authorize(server);
  assert.ok(r.location.searchParams.get("code"));

  await using lax = await startFakeAuthServer({ requirePkce: false });
  const l = await authorize(lax, { code_challenge: "", code_challenge_method: "" });
  assert.ok(l.location.searchParams.get("code"));
});

Deno.test("authorize: redirectParams fault forges state, iss, drops code", async () => {
  await using server = await startFakeAuthServer();
  server.faults.push("/authorize", {
    redirectParams: { state: "forged", iss: "https://evil.example", code: null },
  });
  const { location } = await authorize(server);
  assert.equal(location.searchParams.get("state"), "forged");
  assert.equal(location.searchParams.get("iss"), "https://evil.example");
  assert.equal(location.searchParams.get("code"), null);
});

Deno.test("authorize: bad or unregistered redirect_uri gets a 400 page, loopback any port", async () => {
  await using server = await startFakeAuthServer({
    clients: [{ clientId: "reg", redirectUris: ["http://127.0.0.1/callback"] }],
  });
  let res = await fetch(authorizeUrl(server, { redirect_uri: "" }), { redirect: "manual" });
  assert.equal(res.status, 400);
  await res.body?.cancel();
  res = await fetch(
    authorizeUrl(server, { client_id: "reg", redirect_uri: "http://127.0.0.1:5555/other" }),
    { redirect: "manual" },
  );
  assert.equal(res.status, 400);
  await res.body?.cancel();
  const ok = await authorize(server, {
    client_id: "reg",
    redirect_uri: "http://127.0.0.1:5555/callback",
  });
  assert.equal(ok.status, 302);
  assert.ok(ok.location.searchParams.get("code"));
});

Deno.test("token: authorization_code with PKCE issues access + refresh tokens", async () => {
  await using server = await startFakeAuthServer();
  const tokens = await login(server);
  assert.match(tokens.access_token, /^at_/);
  assert.match(tokens.refresh_token, /^rt_/);
  assert.equal(tokens.token_type, "Bearer");
  assert.equal(tokens.expires_in, 3600);
  assert.equal(tokens.scope, "read write");
  const grant = server.grant(tokens.refresh_token)!;
  assert.equal(grant.clientId, "cli");
  assert.equal(grant.refreshToken, tokens.refresh_token);
  assert.deepEqual(grant.accessTokens, [tokens.access_token]);
  assert.equal(server.isAccessTokenActive(tokens.access_token), true);
  assert.equal(server.tokenRequests().length, 1);
  assert.equal(server.tokenRequests()[0].params.code_verifier, VERIFIER);
});

Deno.test("token: PKCE, redirect_uri, client and code reuse are checked", async () => {
  await using server = await startFakeAuthServer();
  const code = async () => (await authorize(server)).location.searchParams.get("code")!;
  const base = { grant_type: "authorization_code", redirect_uri: REDIRECT, client_id: "cli" };

  let a = await post(`${server.url}/token`, {
    ...base,
    code: await code(),
    code_verifier: "x".repeat(43),
  });
  assert.deepEqual([a.status, a.json.error], [400, "invalid_grant"]);
  a = await post(`${server.url}/token`, { ...base, code: await code() });
  assert.deepEqual([a.status, a.json.error], [400, "invalid_grant"]);
  a = await post(`${server.url}/token`, {
    ...base,
    code: await code(),
    code_verifier: VERIFIER,
    redirect_uri: "http://127.0.0.1:8000/callback",
  });
  assert.deepEqual([a.status, a.json.error], [400, "invalid_grant"]);
  a = await post(`${server.url}/token`, {
    ...base,
    code: await code(),
    code_verifier: VERIFIER,
    client_id: "other",
  });
  assert.deepEqual([a.status, a.json.error], [400, "invalid_grant"]);

  const reused = await code();
  a = await post(`${server.url}/token`, { ...base, code: reused, code_verifier: VERIFIER });
  assert.equal(a.status, 200);
  const again = await post(`${server.url}/token`, {
    ...base,
    code: reused,
    code_verifier: VERIFIER,
  });
  assert.deepEqual([again.status, again.json.error], [400, "invalid_grant"]);
  assert.equal(server.isGrantRevoked(a.json.refresh_token), true);
  assert.equal(server.grant(a.json.access_token)!.revokedReason, "code_reuse");

  a = await post(`${server.url}/token`, { grant_type: "password", client_id: "cli" });
  assert.equal(a.json.error, "unsupported_grant_type");
  a = await post(`${server.url}/token`, { grant_type: "refresh_token", refresh_token: "x" });
  assert.deepEqual([a.status, a.json.error], [401, "invalid_client"]);
});

Deno.test("token: JSON bodies accepted", async () => {
  await using server = await startFakeAuthServer();
  const { location } = await authorize(server);
  const a = await postJson(`${server.url}/token`, {
    grant_type: "authorization_code",
    code: location.searchParams.get("code"),
    redirect_uri: REDIRECT,
    client_id: "cli",
    code_verifier: VERIFIER,
  });
  assert.equal(a.status, 200);
  const recorded = server.tokenRequests()[0];
  assert.match(recorded.contentType, /json/);
  assert.equal(recorded.params.grant_type, "authorization_code");
  assert.equal((recorded.json as { client_id: string }).client_id, "cli");
  const bad = await read(
    await fetch(`${server.url}/token`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{not json",
    }),
  );
  assert.equal(bad.json.error, "invalid_request");
});

Deno.test("token: client_secret_basic (form-encoded) and client_secret_post", async () => {
  const secret = "s3:cr&t+/é";
  await using server = await startFakeAuthServer({
    clients: [{ clientId: "conf id", clientSecret: secret }],
  });
  const seeded = server.seedGrant({ refreshToken: "rt-seed", clientId: "conf id" });
  const basic = btoa(
    String.fromCharCode(
      ...new TextEncoder().encode(
        `${encodeURIComponent("conf id")}:${encodeURIComponent(secret)}`,
      ),
    ),
  );
  let a = await post(
    `${server.url}/token`,
    { grant_type: "refresh_token", refresh_token: "rt-seed" },
    { authorization: `Basic ${basic}` },
  );
  assert.equal(a.status, 200, a.text);
  assert.equal(server.tokenRequests()[0].clientAuth, "client_secret_basic");
  assert.equal(server.tokenRequests()[0].clientId, "conf id");

  a = await post(`${server.url}/token`, {
    grant_type: "refresh_token",
    refresh_token: a.json.refresh_token,
    client_id: "conf id",
    client_secret: secret,
  });
  assert.equal(a.status, 200, a.text);
  assert.equal(server.tokenRequests()[1].clientAuth, "client_secret_post");

  a = await post(`${server.url}/token`, {
    grant_type: "refresh_token",
    refresh_token: a.json.refresh_token,
    client_id: "conf id",
    client_secret: "wrong",
  });
  assert.deepEqual([a.status, a.json.error], [401, "invalid_client"]);
  const wrongBasic = btoa("conf%20id:wrong");
  a = await post(
    `${server.url}/token`,
    { grant_type: "refresh_token", refresh_token: "whatever" },
    { authorization: `Basic ${wrongBasic}` },
  );
  assert.deepEqual([a.status, a.json.error], [401, "invalid_client"]);
  assert.match(a.headers.get("www-authenticate") ?? "", /^Basic/);
  assert.equal(server.grant(seeded.id)!.refreshCount, 2);
});

Deno.test("token: requireKnownClient rejects unknown client ids", async () => {
  await using server = await startFakeAuthServer({ requireKnownClient: true });
  const a = await post(`${server.url}/token`, {
    grant_type: "refresh_token",
    refresh_token: "x",
    client_id: "nobody",
  });
  assert.deepEqual([a.status, a.json.error], [401, "invalid_client"]);
});

Deno.test("refresh: rotates on every refresh; the new token works, the old one is current no more", async () => {
  await using server = await startFakeAuthServer();
  const first = await login(server);
  const r1 = await refresh(server, first.refresh_token);
  assert.equal(r1.status, 200);
  assert.notEqual(r1.json.refresh_token, first.refresh_token);
  assert.notEqual(r1.json.access_token, first.access_token);
  assert.equal(server.currentRefreshToken(first.refresh_token), r1.json.refresh_token);
  const r2 = await refresh(server, r1.json.refresh_token);
  assert.equal(r2.status, 200);
  const grant = server.grant(r2.json.refresh_token)!;
  assert.deepEqual(grant.refreshTokens, [
    first.refresh_token,
    r1.json.refresh_token,
    r2.json.refresh_token,
  ]);
  assert.equal(grant.refreshCount, 2);
  assert.equal(grant.revoked, false);
});

Deno.test("refresh: replaying an old refresh token revokes the whole grant", async () => {
  await using server = await startFakeAuthServer();
  const first = await login(server);
  const r1 = await refresh(server, first.refresh_token);
  const replay = await refresh(server, first.refresh_token);
  assert.deepEqual([replay.status, replay.json.error], [400, "invalid_grant"]);
  assert.equal(server.isGrantRevoked(first.refresh_token), true);
  assert.equal(server.grant(first.access_token)!.revokedReason, "refresh_token_reuse");
  assert.equal(server.currentRefreshToken(first.refresh_token), undefined);
  // Every token of the grant is dead now, including the winner's.
  const winner = await refresh(server, r1.json.refresh_token);
  assert.deepEqual([winner.status, winner.json.error], [400, "invalid_grant"]);
  assert.equal(server.isAccessTokenActive(r1.json.access_token), false);
  const res = await read(
    await fetch(`${server.url}/resource`, {
      headers: { authorization: `Bearer ${r1.json.access_token}` },
    }),
  );
  assert.equal(res.status, 401);
  assert.match(res.headers.get("www-authenticate")!, /error="invalid_token"/);
});

Deno.test("refresh: three concurrent refreshes of one token => one winner, grant revoked", async () => {
  await using server = await startFakeAuthServer();
  const first = await login(server);
  server.faults.push("/token", { delayMs: 30, times: 3 });
  const results = await Promise.all([1, 2, 3].map(() => refresh(server, first.refresh_token)));
  const statuses = results.map((r) => r.status).sort();
  assert.deepEqual(statuses, [200, 400, 400]);
  assert.equal(server.isGrantRevoked(first.refresh_token), true);
});

Deno.test("refresh: rotation off, reuse detection off", async () => {
  await using server = await startFakeAuthServer({
    rotateRefreshTokens: false,
    revokeGrantOnReuse: false,
  });
  const first = await login(server);
  const r1 = await refresh(server, first.refresh_token);
  assert.equal(r1.status, 200);
  assert.equal(r1.json.refresh_token, undefined);
  assert.equal((await refresh(server, first.refresh_token)).status, 200);
  server.config.rotateRefreshTokens = true;
  const r3 = await refresh(server, first.refresh_token);
  assert.ok(r3.json.refresh_token);
  const stale = await refresh(server, first.refresh_token);
  assert.equal(stale.json.error, "invalid_grant");
  assert.equal(server.isGrantRevoked(first.refresh_token), false);
  assert.equal((await refresh(server, r3.json.refresh_token)).status, 200);
});

Deno.test("seedGrant: a planted refresh token the server knows", async () => {
  await using server = await startFakeAuthServer({ accessTokenTtl: 60 });
  const seeded = server.seedGrant({
    refreshToken: "rt-planted",
    accessToken: "at-planted",
    clientId: "cli",
    scope: "repo",
  });
  assert.equal(seeded.refreshToken, "rt-planted");
  assert.equal(server.isAccessTokenActive("at-planted"), true);
  assert.throws(() => server.seedGrant({ refreshToken: "rt-planted", clientId: "cli" }));
  const r = await refresh(server, "rt-planted");
  assert.equal(r.status, 200);
  assert.equal(r.json.expires_in, 60);
  assert.equal(r.json.scope, "repo");
  assert.equal(server.currentRefreshToken(seeded.id), r.json.refresh_token);
  assert.equal(server.grants().length, 1);
  assert.throws(() => server.isGrantRevoked("nope"));
  const wrongClient = await refresh(server, r.json.refresh_token, "other");
  assert.equal(wrongClient.json.error, "invalid_grant");
});

Deno.test("device flow: scripted poll sequence pending, slow_down, pending, ok", async () => {
  await using server = await startFakeAuthServer({
    devicePollScript: ["authorization_pending", "slow_down", "authorization_pending", "ok"],
  });
  const d = await post(`${server.url}/device/code`, { client_id: "cli", scope: "repo" });
  assert.equal(d.status, 200);
  assert.match(d.json.device_code, /^dc_/);
  assert.match(d.json.user_code, /^[A-Z]{4}-[A-Z]{4}$/);
  assert.equal(d.json.verification_uri, `${server.url}/device`);
  assert.equal(
    d.json.verification_uri_complete,
    `${server.url}/device?user_code=${d.json.user_code}`,
  );
  assert.equal(d.json.interval, 5);
  assert.equal(d.json.expires_in, 600);
  const poll = () =>
    post(`${server.url}/token`, {
      grant_type: DEVICE_GRANT,
      device_code: d.json.device_code,
      client_id: "cli",
    });
  const seen: string[] = [];
  for (let i = 0; i < 4; i++) {
    const a = await poll();
    seen.push(a.status === 200 ? "ok" : a.json.error);
    if (a.status === 200) {
      assert.ok(a.json.access_token && a.json.refresh_token);
      assert.equal(a.json.scope, "repo");
    } else assert.equal(a.status, 400);
  }
  assert.deepEqual(seen, ["authorization_pending", "slow_down", "authorization_pending", "ok"]);
  assert.equal((await poll()).json.error, "invalid_grant");
});

Deno.test("device flow: approval by the user agent, denial, expiry, no interval", async () => {
  let clock = 1_000_000;
  await using server = await startFakeAuthServer({
    devicePollScript: [],
    deviceInterval: null,
    deviceExpiresIn: 30,
    now: () => clock,
  });
  const start = () => post(`${server.url}/device/code`, { client_id: "cli" });
  const poll = (deviceCode: string) =>
    post(`${server.url}/token`, {
      grant_type: DEVICE_GRANT,
      device_code: deviceCode,
      client_id: "cli",
    });

  const a = await start();
  assert.equal("interval" in a.json, false);
  assert.equal((await poll(a.json.device_code)).json.error, "authorization_pending");
  const page = await confirmDeviceCode(a.json.verification_uri_complete);
  assert.match(page, /approved/);
  assert.equal((await poll(a.json.device_code)).status, 200);

  const b = await start();
  server.approveDevice(b.json.user_code, "access_denied");
  assert.equal((await poll(b.json.device_code)).json.error, "access_denied");
  assert.equal((await poll(b.json.device_code)).json.error, "invalid_grant");

  const c = await start();
  await confirmDeviceCode(c.json.verification_uri, c.json.user_code, { deny: true });
  assert.equal((await poll(c.json.device_code)).json.error, "access_denied");

  const e = await start();
  clock += 31_000;
  assert.equal((await poll(e.json.device_code)).json.error, "expired_token");
});

Deno.test("register: RFC 7591 201 with client_id, secret only when asked; counts", async () => {
  await using server = await startFakeAuthServer();
  const pub = await postJson(`${server.url}/register`, {
    client_name: "authsome",
    redirect_uris: ["http://127.0.0.1/callback"],
    token_endpoint_auth_method: "none",
    grant_types: ["authorization_code", "refresh_token"],
    application_type: "native",
  });
  assert.equal(pub.status, 201);
  assert.match(pub.json.client_id, /^client_/);
  assert.equal(pub.json.client_secret, undefined);
  assert.equal(pub.json.token_endpoint_auth_method, "none");
  assert.equal(pub.json.client_name, "authsome");
  assert.ok(pub.json.registration_access_token);
  assert.equal(server.registrations, 1);

  const conf = await postJson(`${server.url}/register`, {
    redirect_uris: ["http://127.0.0.1/callback"],
    token_endpoint_auth_method: "client_secret_post",
  });
  assert.equal(conf.status, 201);
  assert.ok(conf.json.client_secret);
  assert.equal(conf.json.client_secret_expires_at, 0);
  assert.equal(server.registrations, 2);
  assert.equal(server.client(conf.json.client_id)!.clientSecret, conf.json.client_secret);

  const bad = await postJson(`${server.url}/register`, { redirect_uris: ["not a url"] });
  assert.deepEqual([bad.status, bad.json.error], [400, "invalid_redirect_uri"]);
  const bad2 = await postJson(`${server.url}/register`, [1]);
  assert.equal(bad2.json.error, "invalid_client_metadata");
  assert.equal(server.registrations, 2);

  // A registered client's redirect URIs are enforced, loopback on any port.
  const ok = await authorize(server, {
    client_id: pub.json.client_id,
    redirect_uri: "http://127.0.0.1:41234/callback",
  });
  assert.ok(ok.location.searchParams.get("code"));
});

Deno.test("revoke: RFC 7009 always 200; a revoked refresh token revokes its grant", async () => {
  await using server = await startFakeAuthServer();
  const tokens = await login(server);
  let a = await post(`${server.url}/revoke`, { token: "unknown", client_id: "cli" });
  assert.equal(a.status, 200);
  a = await post(`${server.url}/revoke`, {
    token: tokens.access_token,
    token_type_hint: "access_token",
    client_id: "cli",
  });
  assert.equal(a.status, 200);
  assert.equal(server.isAccessTokenActive(tokens.access_token), false);
  assert.equal(server.isGrantRevoked(tokens.refresh_token), false);
  a = await post(`${server.url}/revoke`, {
    token: tokens.refresh_token,
    token_type_hint: "refresh_token",
    client_id: "cli",
  });
  assert.equal(a.status, 200);
  assert.equal(server.isGrantRevoked(tokens.refresh_token), true);
  assert.equal(server.grant(tokens.refresh_token)!.revokedReason, "revocation");
  assert.deepEqual(server.revokedTokens, ["unknown", tokens.access_token, tokens.refresh_token]);
  assert.equal((await refresh(server, tokens.refresh_token)).json.error, "invalid_grant");
  a = await post(`${server.url}/revoke`, { client_id: "cli" });
  assert.equal(a.json.error, "invalid_request");
});

Deno.test("resource: bearer token checked, expiry follows the server clock", async () => {
  let clock = 5_000_000;
  await using server = await startFakeAuthServer({ accessTokenTtl: 10, now: () => clock });
  const tokens = await login(server);
  const call = async (token?: string) =>
    await read(
      await fetch(`${server.url}/resource`, {
        headers: token ? { authorization: `Bearer ${token}` } : {},
      }),
    );
  assert.equal((await call(tokens.access_token)).status, 200);
  const none = await call();
  assert.equal(none.status, 401);
  assert.doesNotMatch(none.headers.get("www-authenticate")!, /error=/);
  clock += 10_001;
  assert.equal((await call(tokens.access_token)).status, 401);
});

Deno.test("faults: every OAuth error code, default statuses, GitHub 200-with-error", async () => {
  await using server = await startFakeAuthServer();
  const seeded = server.seedGrant({ refreshToken: "rt-f", clientId: "cli" });
  for (
    const code of [
      "invalid_grant",
      "invalid_request",
      "invalid_client",
      "unauthorized_client",
      "unsupported_grant_type",
      "invalid_scope",
      "expired_token",
    ]
  ) {
    server.faults.push("/token", { oauthError: code, errorDescription: `because ${code}` });
    const a = await refresh(server, "rt-f");
    assert.equal(a.status, code === "invalid_client" ? 401 : 400, code);
    assert.deepEqual(a.json, { error: code, error_description: `because ${code}` });
  }
  server.faults.push("/token", { oauthError: "bad_verification_code", status: 200 });
  const gh = await refresh(server, "rt-f");
  assert.equal(gh.status, 200);
  assert.equal(gh.json.error, "bad_verification_code");
  // Faulted requests were not processed: the planted token is still current and unused.
  assert.equal(server.currentRefreshToken(seeded.id), "rt-f");
  assert.equal(server.grant(seeded.id)!.refreshCount, 0);
  assert.equal(server.tokenRequests()[0].fault?.oauthError, "invalid_grant");
  assert.equal(server.tokenRequests()[0].status, 400);
  assert.equal((await refresh(server, "rt-f")).status, 200);
});

Deno.test("faults: 500, 503 and 429 with Retry-After, raw bodies, times/pending/clear", async () => {
  await using server = await startFakeAuthServer();
  server.seedGrant({ refreshToken: "rt-h", clientId: "cli" });
  server.faults.push(
    "/token",
    { status: 500 },
    { status: 503, retryAfter: 7 },
    { status: 429, retryAfter: 2, times: 2 },
  );
  assert.equal(server.faults.pending("/token"), 4);
  let a = await refresh(server, "rt-h");
  assert.equal(a.status, 500);
  assert.equal(a.text, "500 Internal Server Error");
  a = await refresh(server, "rt-h");
  assert.deepEqual([a.status, a.headers.get("retry-after")], [503, "7"]);
  for (let i = 0; i < 2; i++) {
    a = await refresh(server, "rt-h");
    assert.deepEqual([a.status, a.headers.get("retry-after")], [429, "2"]);
  }
  assert.equal(server.faults.pending("/token"), 0);

  server.faults.push("/token", {
    status: 502,
    body: "<html>bad gateway</html>",
    contentType: "text/html",
  });
  a = await refresh(server, "rt-h");
  assert.deepEqual([a.status, a.text], [502, "<html>bad gateway</html>"]);
  assert.match(a.headers.get("content-type")!, /text\/html/);

  server.faults.push("/token", { status: 500, times: Infinity });
  server.faults.push("/.well-known/oauth-authorization-server", { status: 404 });
  assert.equal((await refresh(server, "rt-h")).status, 500);
  assert.equal((await refresh(server, "rt-h")).status, 500);
  server.faults.clear("/token");
  assert.equal(server.faults.pending("/.well-known/oauth-authorization-server"), 1);
  server.faults.clear();
  assert.equal(server.faults.pending("/.well-known/oauth-authorization-server"), 0);
  assert.equal((await refresh(server, "rt-h")).status, 200);
});

Deno.test("faults: delayMs outlasts a client timeout; the server still processes", async () => {
  await using server = await startFakeAuthServer();
  server.seedGrant({ refreshToken: "rt-d", clientId: "cli" });
  server.faults.push("/token", { delayMs: 150 });
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new Error("client timeout")), 50);
  const started = Date.now();
  await assert.rejects(
    fetch(`${server.url}/token`, {
      method: "POST",
      body: new URLSearchParams({
        grant_type: "refresh_token",
        refresh_token: "rt-d",
        client_id: "cli",
      }),
      signal: controller.signal,
    }),
    /client timeout/,
  );
  clearTimeout(timer);
  assert.ok(Date.now() - started < 140);
  // Like a real server, the request was processed even though the client gave up.
  for (let i = 0; i < 100 && server.grant("rt-d")!.refreshCount === 0; i++) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  assert.equal(server.grant("rt-d")!.refreshCount, 1);
  assert.notEqual(server.currentRefreshToken("rt-d"), "rt-d");
});

Deno.test("faults: a delayed request does not hold up close()", async () => {
  const server = await startFakeAuthServer();
  server.faults.push("/token", { delayMs: 10_000 });
  const pending = fetch(`${server.url}/token`, { method: "POST", body: "grant_type=x" });
  while (server.tokenRequests().length === 0) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  const started = Date.now();
  await server.close();
  await server.close(); // idempotent
  assert.ok(Date.now() - started < 5_000);
  const res = await pending.catch(() => undefined);
  await res?.body?.cancel();
});

Deno.test("faults: formEncoded answers (success and error), Accept-driven GitHub mode", async () => {
  await using server = await startFakeAuthServer();
  server.seedGrant({ refreshToken: "rt-g", clientId: "cli" });
  server.faults.push("/token", { formEncoded: true });
  let a = await refresh(server, "rt-g");
  assert.equal(a.status, 200);
  assert.match(a.headers.get("content-type")!, /^application\/x-www-form-urlencoded/);
  const form = new URLSearchParams(a.text);
  assert.match(form.get("access_token")!, /^at_/);
  assert.equal(form.get("expires_in"), "3600");
  const rt = form.get("refresh_token")!;

  server.faults.push("/token", {
    formEncoded: true,
    status: 200,
    oauthError: "bad_verification_code",
    errorDescription: "The code passed is incorrect or expired.",
  });
  a = await refresh(server, rt);
  assert.equal(a.status, 200);
  assert.equal(new URLSearchParams(a.text).get("error"), "bad_verification_code");

  server.config.formEncodedUnlessAcceptJson = true;
  a = await read(
    await fetch(`${server.url}/token`, {
      method: "POST",
      body: new URLSearchParams({
        grant_type: "refresh_token",
        refresh_token: rt,
        client_id: "cli",
      }),
    }),
  );
  assert.match(a.headers.get("content-type")!, /x-www-form-urlencoded/);
  a = await refresh(server, new URLSearchParams(a.text).get("refresh_token")!); // sends Accept: json
  assert.match(a.headers.get("content-type")!, /json/);
  assert.equal(server.tokenRequests().at(-1)!.headers.accept, "application/json");
});

Deno.test("faults: expires_in as string, overridden, omitted; missing refresh token keeps the old one", async () => {
  await using server = await startFakeAuthServer();
  server.seedGrant({ refreshToken: "rt-e", clientId: "cli" });
  server.faults.push("/token", { expiresInAsString: true });
  let a = await refresh(server, "rt-e");
  assert.equal(a.json.expires_in, "3600");
  server.faults.push("/token", { expiresIn: "1h" });
  a = await refresh(server, a.json.refresh_token);
  assert.equal(a.json.expires_in, "1h");
  server.faults.push("/token", { expiresIn: null });
  a = await refresh(server, a.json.refresh_token);
  assert.equal("expires_in" in a.json, false);

  const kept = a.json.refresh_token;
  server.faults.push("/token", { omitRefreshToken: true });
  a = await refresh(server, kept);
  assert.equal(a.status, 200);
  assert.equal(a.json.refresh_token, undefined);
  assert.ok(a.json.access_token);
  // Not rotated: the old refresh token is still the current one and still works.
  assert.equal(server.currentRefreshToken(kept), kept);
  a = await refresh(server, kept);
  assert.equal(a.status, 200);
  assert.ok(a.json.refresh_token);

  await using accessOnly = await startFakeAuthServer({ accessTokenTtl: null });
  const tokens = await login(accessOnly);
  assert.equal("expires_in" in tokens, false);
  assert.equal(accessOnly.isAccessTokenActive(tokens.access_token), true);
});

Deno.test("faults: dropConnection makes reading the body fail; nothing is processed", async () => {
  await using server = await startFakeAuthServer();
  server.seedGrant({ refreshToken: "rt-x", clientId: "cli" });
  server.faults.push("/token", { dropConnection: true });
  await assert.rejects(
    (async () => {
      const res = await fetch(`${server.url}/token`, {
        method: "POST",
        body: new URLSearchParams({
          grant_type: "refresh_token",
          refresh_token: "rt-x",
          client_id: "cli",
        }),
      });
      await res.text();
    })(),
    TypeError,
  );
  assert.equal(server.currentRefreshToken("rt-x"), "rt-x");
  assert.equal((await refresh(server, "rt-x")).status, 200);
});

Deno.test("faults: on other endpoints (device, register, revoke, metadata)", async () => {
  await using server = await startFakeAuthServer();
  server.faults.push("/device/code", { oauthError: "unauthorized_client" });
  assert.equal(
    (await post(`${server.url}/device/code`, { client_id: "cli" })).json.error,
    "unauthorized_client",
  );
  server.faults.push("/register", { status: 503 });
  assert.equal((await postJson(`${server.url}/register`, {})).status, 503);
  assert.equal(server.registrations, 0);
  server.faults.push("/revoke", { status: 503, retryAfter: 1 });
  assert.equal((await post(`${server.url}/revoke`, { token: "t" })).status, 503);
  assert.deepEqual(server.revokedTokens, []);
  server.faults.push("/.well-known/oauth-authorization-server", { status: 404 });
  const m = await fetch(`${server.url}/.well-known/oauth-authorization-server`);
  await m.body?.cancel();
  assert.equal(m.status, 404);
});

Deno.test("requests are recorded with method, path, params and headers", async () => {
  await using server = await startFakeAuthServer();
  await post(`${server.url}/token`, { grant_type: "refresh_token", refresh_token: "nope" }, {
    "x-test": "1",
  });
  const [r] = server.requests;
  assert.equal(r.method, "POST");
  assert.equal(r.path, "/token");
  assert.equal(r.params.refresh_token, "nope");
  assert.equal(r.headers["x-test"], "1");
  assert.match(r.contentType, /x-www-form-urlencoded/);
  assert.equal(r.status, 401);
  assert.deepEqual(server.errors, []);
  const nf = await fetch(`${server.url}/nope`);
  await nf.body?.cancel();
  assert.equal(nf.status, 404);
  const get = await fetch(`${server.url}/token`);
  await get.body?.cancel();
  assert.equal(get.status, 405);
});

Deno.test("completeAuthorization drives the fake /authorize to a loopback listener", async () => {
  await using server = await startFakeAuthServer();
  const received: string[] = [];
  const listener = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
    received.push(req.url);
    return new Response("done");
  });
  try {
    const redirect = `http://127.0.0.1:${listener.addr.port}/callback`;
    const final = await completeAuthorization(authorizeUrl(server, { redirect_uri: redirect }));
    assert.equal(received.length, 1);
    assert.equal(received[0], final);
    assert.ok(new URL(final).searchParams.get("code"));
  } finally {
    await listener.shutdown();
  }
});

Deno.test("refusedUrl: nothing listens there", async () => {
  const url = refusedUrl();
  await assert.rejects(fetch(`${url}/token`, { method: "POST" }), TypeError);
});
