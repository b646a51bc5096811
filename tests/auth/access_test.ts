import assert from "node:assert/strict";
import { accessConnection } from "../../src/auth/access.ts";
import { CredentialMissingError, RefreshError } from "../../src/errors.ts";
import { keyConnection, store, testContext } from "./_context.ts";
import { EXPIRES, oauthFixture, OLD_ACCESS, OLD_REFRESH } from "./_oauth_fixture.ts";

Deno.test.sanitizer?.({ ops: true, resources: true });

Deno.test("301 s before expiry the stored token is returned without a token request", async () => {
  await using f = await oauthFixture({ now: EXPIRES - 301_000 });
  const { connection, warning } = await accessConnection(f.ctx, "fakehub", {});
  assert.equal(connection.accessToken?.reveal(), OLD_ACCESS);
  assert.equal(warning, undefined);
  assert.equal(f.tokenRequests(), 0);
});

for (const secondsLeft of [300, 299]) {
  Deno.test(`${secondsLeft} s before expiry the token is refreshed, once`, async () => {
    await using f = await oauthFixture({ now: EXPIRES - secondsLeft * 1000 });
    const { connection, warning } = await accessConnection(f.ctx, "fakehub", {});
    assert.equal(f.tokenRequests(), 1);
    assert.equal(warning, undefined);
    const issued = f.server.grant(OLD_REFRESH)!.accessTokens.at(-1)!;
    assert.notEqual(issued, OLD_ACCESS);
    assert.equal(connection.accessToken?.reveal(), issued);
    assert.ok(f.server.isAccessTokenActive(issued));
    // Written back: the next call gets the new token without asking the server again.
    const again = await accessConnection(f.ctx, "fakehub", {});
    assert.equal(again.connection.accessToken?.reveal(), issued);
    assert.equal(f.tokenRequests(), 1);
    const stored = await f.stored();
    assert.equal(stored.accessToken?.reveal(), issued);
    assert.equal(stored.status, "connected");
    // The fake server grants 3600 s; expiry is counted from the platform clock.
    const now = EXPIRES - secondsLeft * 1000;
    assert.equal(stored.expiresAt, new Date(now + 3_600_000).toISOString().replace(".000", ""));
    assert.equal(stored.obtainedAt, new Date(now).toISOString().replace(".000", ""));
    assert.equal(stored.lastRefreshError, null);
    assert.ok(stored.lastRefreshAt !== null);
  });
}

Deno.test("the token request is the RFC 6749 §6 refresh with the stored client", async () => {
  await using f = await oauthFixture({ now: EXPIRES });
  await accessConnection(f.ctx, "fakehub", {});
  const [request] = f.server.tokenRequests();
  assert.equal(request.params.grant_type, "refresh_token");
  assert.equal(request.params.refresh_token, OLD_REFRESH);
  assert.equal(request.clientId, "authsome-test");
});

Deno.test("an access token without expires_at is never refreshed", async () => {
  await using f = await oauthFixture({ now: EXPIRES + 10 ** 9, connection: { expiresAt: null } });
  const { connection } = await accessConnection(f.ctx, "fakehub", {});
  assert.equal(connection.accessToken?.reveal(), OLD_ACCESS);
  assert.equal(f.tokenRequests(), 0);
});

Deno.test("API keys never refresh, whatever the stored expiry says", async () => {
  await using t = await testContext();
  await store(t.ctx, {
    ...keyConnection("acme", "default", "acme-key-1234"),
    expiresAt: "2000-01-01T00:00:00Z",
  });
  const { connection, warning } = await accessConnection(t.ctx, "acme", {});
  assert.equal(connection.apiKey?.reveal(), "acme-key-1234");
  assert.equal(warning, undefined);
});

Deno.test("an invalid connection fails at once with the recovery hint, without a request", async () => {
  await using f = await oauthFixture({
    now: EXPIRES - 3_600_000,
    connection: { status: "invalid", lastRefreshError: "invalid_grant" },
  });
  await assert.rejects(accessConnection(f.ctx, "fakehub", {}), (error) => {
    assert.ok(error instanceof RefreshError);
    assert.equal(error.exitCode, 6);
    assert.equal(error.message, "refresh failed for fakehub (default): invalid_grant");
    assert.match(error.hint ?? "", /authsome revoke fakehub/);
    assert.match(error.hint ?? "", /authsome login fakehub/);
    return true;
  });
  assert.equal(f.tokenRequests(), 0);
});

Deno.test("tolerateRefreshFailure hands back the connection and the failure instead", async () => {
  await using f = await oauthFixture({ now: EXPIRES + 60_000 });
  f.server.faults.push("/token", { oauthError: "invalid_grant" });
  const result = await accessConnection(f.ctx, "fakehub", { tolerateRefreshFailure: true });
  assert.equal(result.connection.status, "invalid");
  assert.ok(result.refreshError instanceof RefreshError);
  assert.equal(result.refreshError.message, "refresh failed for fakehub (default): invalid_grant");
});

Deno.test("a missing connection is exit 5 with the login hint", async () => {
  await using t = await testContext();
  await assert.rejects(accessConnection(t.ctx, "github", { connection: "ci" }), (error) => {
    assert.ok(error instanceof CredentialMissingError);
    assert.equal(error.exitCode, 5);
    assert.equal(error.hint, "authsome login github --connection ci");
    return true;
  });
});
