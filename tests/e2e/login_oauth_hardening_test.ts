/**
 * OAuth hardening through the real CLI against the fake authorization server: the exit codes
 * and messages a user sees for a mix-up (RFC 9207 iss), an unusable token_type, a plain-http
 * --base-url, and a provider's own error code on refresh.
 */
import assert from "node:assert/strict";
import { fakeHubSetUp, fromNow, seedConnection } from "./_oauth_setup.ts";

function setUp() {
  return fakeHubSetUp();
}

Deno.test("login: a callback iss from another server exits 4 with the mix-up message", async () => {
  await using t = await setUp();
  t.server.faults.push("/authorize", { redirectParams: { iss: "https://evil.example" } });
  const login = await t.cli(["login", "fakehub", "--port", "0"]);
  assert.equal(login.code, 4, login.stderr);
  assert.match(
    login.stderr,
    /Error: the authorization response came from a different server: iss "https:\/\/evil\.example" is not the expected issuer "http:\/\/127\.0\.0\.1:\d+" \(RFC 9207\); the login was refused/,
  );
  assert.equal(t.server.tokenRequests().length, 0);
  assert.equal((await t.cli(["get", "fakehub"])).code, 5, "nothing stored");
});

Deno.test("login: a DPoP token response exits 4 and stores nothing", async () => {
  await using t = await setUp();
  t.server.config.tokenType = "DPoP";
  const login = await t.cli(["login", "fakehub", "--port", "0"]);
  assert.equal(login.code, 4, login.stderr);
  assert.match(
    login.stderr,
    /Error: unsupported token_type "DPoP" from token endpoint: authsome can only use Bearer tokens/,
  );
  assert.equal((await t.cli(["get", "fakehub"])).code, 5, "nothing stored");
});

Deno.test("login --base-url over plain http to another host exits 2 before any request", async () => {
  await using t = await setUp();
  const login = await t.cli(["login", "fakehub", "--port", "0", "--base-url", "http://as.example"]);
  assert.equal(login.code, 2, login.stderr);
  assert.match(
    login.stderr,
    /Error: --base-url http:\/\/as\.example: https is required \(http only for 127\.0\.0\.1, localhost and \[::1\]\)/,
  );
  assert.equal(t.server.requests.length, 0);
});

Deno.test("refresh: GitHub's bad_refresh_token is shown next to invalid_grant, exit 6", async () => {
  await using t = await setUp();
  t.server.seedGrant({
    refreshToken: "rt-seed",
    accessToken: "at-seed",
    clientId: "authsome-test",
  });
  await seedConnection(t.home, {
    accessToken: "at-seed",
    refreshToken: "rt-seed",
    expiresAt: fromNow(-60),
  });
  t.server.faults.push("/token", { oauthError: "bad_refresh_token", status: 200 });
  const get = await t.cli(["get", "fakehub"]);
  assert.equal(get.code, 6, get.stderr);
  assert.match(
    get.stderr,
    /^Error: refresh failed for fakehub \(default\): invalid_grant \(bad_refresh_token\)\n/,
  );
  assert.match(get.stderr, /authsome revoke fakehub/);
  const status = await t.cli(["get", "fakehub", "--field", "status"]);
  assert.equal(status.stdout.trim(), "invalid");
});
