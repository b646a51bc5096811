/**
 * `login` on a stored connection: "already logged in" only while it is connected, unexpired,
 * and has the requested scopes and base URL; otherwise the flow runs again (no --force needed).
 */
import assert from "node:assert/strict";
import { fakeHubSetUp, fromNow, seedConnection } from "./_oauth_setup.ts";

function setUp() {
  return fakeHubSetUp({ server: { deviceInterval: 1 } });
}

Deno.test("login --scopes: different scopes run the flow again; the same scopes do not", async () => {
  await using t = await setUp();
  await seedConnection(t.home, {
    accessToken: "at-old",
    refreshToken: null,
    expiresAt: fromNow(3600),
  });
  const same = await t.cli(["login", "fakehub", "--port", "0", "--scopes", "read"]);
  assert.match(same.stdout, /Already logged in/, same.stderr);
  assert.equal(t.server.requestsTo("/authorize").length, 0);

  const wider = await t.cli(["login", "fakehub", "--port", "0", "--scopes", "read,write"]);
  assert.equal(wider.code, 0, wider.stderr);
  assert.match(
    wider.stderr,
    /Logging in again \(default\): --scopes read,write differ from the stored read/,
  );
  assert.match(wider.stdout, /Successfully logged in/);
  assert.equal(t.server.requestsTo("/authorize")[0].query.scope, "read write");
});

Deno.test("login: an access token past expires_at is logged in again", async () => {
  await using t = await setUp();
  await seedConnection(t.home, {
    accessToken: "at-old",
    refreshToken: null,
    expiresAt: fromNow(-60),
  });
  const login = await t.cli(["login", "fakehub", "--port", "0"]);
  assert.equal(login.code, 0, login.stderr);
  assert.match(login.stderr, /the stored access token expired at/);
  assert.equal(t.server.requestsTo("/authorize").length, 1);
});

Deno.test("login: an invalid connection is logged in again without --force", async () => {
  await using t = await setUp();
  await seedConnection(t.home, {
    accessToken: "at-old",
    refreshToken: "rt-old",
    expiresAt: fromNow(3600),
    status: "invalid",
  });
  const login = await t.cli(["login", "fakehub", "--port", "0"]);
  assert.equal(login.code, 0, login.stderr);
  assert.match(login.stderr, /the stored login is invalid/);
  assert.match(login.stdout, /Successfully logged in/);
});

Deno.test("login --base-url: a different base URL runs the flow again", async () => {
  await using t = await setUp();
  await seedConnection(t.home, {
    accessToken: "at-old",
    refreshToken: null,
    expiresAt: fromNow(3600),
  });
  const login = await t.cli(["login", "fakehub", "--port", "0", "--base-url", t.server.url + "/"]);
  assert.equal(login.code, 0, login.stderr);
  assert.match(login.stderr, /--base-url .* differs from the stored \(none\)/);
  assert.equal(t.server.requestsTo("/authorize").length, 1);
  const again = await t.cli(["login", "fakehub", "--port", "0", "--base-url", t.server.url]);
  assert.match(again.stdout, /Already logged in/, again.stderr);
});
