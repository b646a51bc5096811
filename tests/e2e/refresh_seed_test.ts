/**
 * The troubleshooting page ("Token refresh failures") end to end: every accordion through the
 * real CLI against the fake authorization server, checking the exact message, the status, the
 * audit entry, and that the recovery commands the page prints work.
 */
import assert from "node:assert/strict";
import { fakeHubSetUp, fromNow, seedConnection } from "./_oauth_setup.ts";

const SEED_PIPELINE = `
import sys, json
for line in sys.stdin:
    e = json.loads(line)
    if 'refresh' in e.get('event', '') or e.get('status') == 'failure':
        print(e)
`;

async function setUp(options: { expiresIn?: number } = {}) {
  const t = await fakeHubSetUp({ env: {} });
  t.server.seedGrant({
    refreshToken: "rt-seed",
    accessToken: "at-seed",
    clientId: "authsome-test",
  });
  await seedConnection(t.home, {
    accessToken: "at-seed",
    refreshToken: "rt-seed",
    expiresAt: fromNow(options.expiresIn ?? -60),
  });
  return t;
}

async function auditEntries(home: string): Promise<Record<string, unknown>[]> {
  const text = await Deno.readTextFile(`${home}/audit.log`);
  return text.trim().split("\n").map((line) => JSON.parse(line));
}

async function seedPipeline(cli: (args: string[]) => Promise<{ stdout: string }>) {
  const log = await cli(["log", "-n", "50", "--json"]);
  const python = new Deno.Command("python3", {
    args: ["-c", SEED_PIPELINE],
    stdin: "piped",
    stdout: "piped",
  }).spawn();
  const writer = python.stdin.getWriter();
  await writer.write(new TextEncoder().encode(log.stdout));
  await writer.close();
  const out = await python.output();
  assert.equal(out.code, 0);
  return new TextDecoder().decode(out.stdout);
}

Deno.test("refresh: an expired token is refreshed on access and written back", async () => {
  await using t = await setUp();
  const first = await t.cli(["get", "fakehub", "--field", "access_token"]);
  assert.equal(first.code, 0, first.stderr);
  const token = first.stdout.trim();
  assert.notEqual(token, "at-seed");
  assert.ok(t.server.isAccessTokenActive(token));
  // The refreshed token is stored: the next call makes no token request.
  const again = await t.cli(["get", "fakehub", "--field", "access_token"]);
  assert.equal(again.stdout.trim(), token);
  assert.equal(t.server.tokenRequests().length, 1);
  assert.equal((await t.cli(["get", "fakehub", "--field", "status"])).stdout, "connected\n");
  // Rotation: the new refresh token replaced the old one in the vault.
  assert.notEqual(t.server.currentRefreshToken("rt-seed"), "rt-seed");
  const refresh = (await auditEntries(t.home)).find((e) => e.event === "refresh");
  assert.equal(refresh?.status, "success");
});

Deno.test("refresh: more than 300 s left returns the stored token without a request", async () => {
  await using t = await setUp({ expiresIn: 301 + 30 });
  const out = await t.cli(["get", "fakehub", "--field", "access_token"]);
  assert.equal(out.stdout.trim(), "at-seed");
  assert.equal(t.server.tokenRequests().length, 0);
});

Deno.test("seed page: refresh token has been revoked (invalid_grant)", async () => {
  await using t = await setUp();
  t.server.faults.push("/token", { oauthError: "invalid_grant" });
  const failed = await t.cli(["get", "fakehub"]);
  assert.equal(failed.code, 6);
  assert.match(failed.stderr, /^Error: refresh failed for fakehub \(default\): invalid_grant\n/);
  assert.match(failed.stderr, /authsome revoke fakehub/);
  assert.match(failed.stderr, /authsome login fakehub/);
  const status = await t.cli(["get", "fakehub", "--field", "status"]);
  assert.equal(status.code, 0);
  assert.equal(status.stdout, "invalid\n");
  assert.match(status.stderr, /Warning: refresh failed for fakehub \(default\): invalid_grant/);
  // An invalid connection is not sent to the provider again.
  const before = t.server.tokenRequests().length;
  assert.equal((await t.cli(["get", "fakehub", "--field", "access_token"])).code, 6);
  assert.equal(t.server.tokenRequests().length, before);
  const printed = await seedPipeline(t.cli);
  assert.match(printed, /'event': 'refresh'/);
  assert.match(printed, /'error': 'invalid_grant'/);
  assert.match(printed, /'new_status': 'invalid'/);
  // Recover exactly as the page says: revoke, then login.
  const revoke = await t.cli(["revoke", "fakehub"]);
  assert.equal(revoke.code, 0, revoke.stderr);
  assert.equal((await t.cli(["get", "fakehub"])).code, 5);
  const login = await t.cli(["login", "fakehub", "--port", "0"], {
    FAKEHUB_CLIENT_ID: "authsome-test",
  });
  assert.equal(login.code, 0, login.stderr);
  assert.match(login.stdout, /Successfully logged in to fakehub \(default\)/);
  assert.equal((await t.cli(["get", "fakehub", "--field", "status"])).stdout, "connected\n");
});

Deno.test("seed page: client authentication failed (invalid_client)", async () => {
  await using t = await setUp();
  t.server.faults.push("/token", { oauthError: "invalid_client" });
  const failed = await t.cli(["get", "fakehub", "--field", "access_token"]);
  assert.equal(failed.code, 6);
  assert.match(failed.stderr, /Error: refresh failed for fakehub \(default\): invalid_client/);
  assert.match(failed.stderr, /authsome revoke fakehub/);
  assert.equal((await t.cli(["get", "fakehub", "--field", "status"])).stdout, "invalid\n");
  assert.equal((await t.cli(["revoke", "fakehub"])).code, 0);
  const inspect = JSON.parse((await t.cli(["inspect", "fakehub", "--json"])).stdout);
  assert.equal(inspect.client, null, "revoke clears the client config");
  const login = await t.cli(["login", "fakehub", "--port", "0"], {
    FAKEHUB_CLIENT_ID: "authsome-test",
  });
  assert.equal(login.code, 0, login.stderr);
});

Deno.test("seed page: expired_token after long downtime, recovered with login --force", async () => {
  await using t = await setUp();
  t.server.faults.push("/token", { oauthError: "expired_token" });
  const failed = await t.cli(["get", "fakehub"]);
  assert.equal(failed.code, 6);
  assert.match(failed.stderr, /Error: refresh failed for fakehub \(default\): expired_token/);
  assert.match(failed.stderr, /authsome login fakehub --force/);
  assert.equal((await t.cli(["get", "fakehub", "--field", "status"])).stdout, "invalid\n");
  const login = await t.cli(["login", "fakehub", "--force", "--port", "0"]);
  assert.equal(login.code, 0, login.stderr);
  assert.equal((await t.cli(["get", "fakehub", "--field", "status"])).stdout, "connected\n");
});

Deno.test("seed page: GitHub-style errors sent with HTTP 200 are rejections too", async () => {
  await using t = await setUp();
  t.server.faults.push("/token", { oauthError: "invalid_grant", status: 200 });
  const failed = await t.cli(["get", "fakehub"]);
  assert.equal(failed.code, 6);
  assert.match(failed.stderr, /refresh failed for fakehub \(default\): invalid_grant/);
  assert.equal((await t.cli(["get", "fakehub", "--field", "status"])).stdout, "invalid\n");
});

Deno.test("seed page: network errors leave the connection expired, and it recovers", async () => {
  await using t = await setUp();
  // A provider that does not rotate refresh tokens: the request that timed out (but that the
  // server still processed) leaves the stored refresh token valid.
  t.server.config.rotateRefreshTokens = false;
  t.server.faults.push("/token", { delayMs: 15_000 });
  const failed = await t.cli(["get", "fakehub"], { AUTHSOME_TOKEN_TIMEOUT: "1" });
  assert.equal(failed.code, 6);
  assert.match(
    failed.stderr,
    /^Error: refresh failed for fakehub \(default\): connection timed out/,
  );
  assert.match(failed.stderr, /authsome get fakehub --field status/);
  const status = await t.cli(["get", "fakehub", "--field", "status"], {
    AUTHSOME_TOKEN_TIMEOUT: "1",
  });
  // The network is back for this call: the access call refreshes and status is connected.
  assert.equal(status.stdout, "connected\n");
  const entries = (await auditEntries(t.home)).filter((e) => e.event === "refresh");
  assert.equal(entries[0].status, "failure");
  assert.equal(entries[0].error, "connection timed out");
  assert.equal(entries[0].new_status, "expired");
  assert.equal(entries.at(-1)?.status, "success");
});

Deno.test("seed page: HTTP 503 and refused connections are network failures", async () => {
  await using t = await setUp();
  t.server.faults.push("/token", { status: 503 });
  const failed = await t.cli(["get", "fakehub"]);
  assert.equal(failed.code, 6);
  assert.match(
    failed.stderr,
    /refresh failed for fakehub \(default\): HTTP 503 from token endpoint/,
  );
  await t.server.close();
  const refused = await t.cli(["get", "fakehub", "--field", "access_token"]);
  assert.equal(refused.code, 6);
  assert.match(refused.stderr, /refresh failed for fakehub \(default\): connection refused/);
  const status = await t.cli(["get", "fakehub", "--field", "status"]);
  assert.equal(status.code, 0);
  assert.equal(status.stdout, "expired\n");
  assert.match(status.stderr, /Warning: refresh failed .*connection refused/);
});

Deno.test("network failure with the token still valid: stored token and a warning", async () => {
  await using t = await setUp({ expiresIn: 120 });
  t.server.faults.push("/token", { status: 500 });
  const out = await t.cli(["get", "fakehub", "--field", "access_token"]);
  assert.equal(out.code, 0, out.stderr);
  assert.equal(out.stdout, "at-seed\n");
  assert.match(
    out.stderr,
    /Warning: refresh failed for fakehub \(default\): HTTP 500 from token endpoint/,
  );
  assert.equal((await t.cli(["get", "fakehub", "--field", "status"])).stdout, "connected\n");
});

Deno.test("--verbose shows the token endpoint URL and a redacted request body", async () => {
  await using t = await setUp();
  t.server.faults.push("/token", { oauthError: "invalid_grant", errorDescription: "rt-seed bad" });
  const out = await t.cli(["--verbose", "get", "fakehub", "--field", "status"]);
  assert.match(out.stderr, new RegExp(`DEBUG .*${t.server.url}/token`));
  assert.match(out.stderr, /"refresh_token":"\[redacted\]"/);
  assert.ok(!out.stderr.includes("rt-seed"), "the refresh token never reaches stderr");
  const log = await Deno.readTextFile(`${t.home}/logs/authsome.log`);
  assert.match(log, /token endpoint request failed/);
  assert.match(log, /invalid_grant/);
  assert.ok(!log.includes("rt-seed"), "the refresh token never reaches the debug log");
});

Deno.test("export refreshes first and never exports the refresh token", async () => {
  await using t = await setUp();
  const out = await t.cli(["export", "fakehub", "--format", "json"]);
  assert.equal(out.code, 0, out.stderr);
  const vars = JSON.parse(out.stdout);
  assert.deepEqual(Object.keys(vars), ["FAKEHUB_TOKEN"]);
  assert.ok(t.server.isAccessTokenActive(vars.FAKEHUB_TOKEN));
  assert.ok(!out.stdout.includes(t.server.currentRefreshToken("rt-seed")!));
});
