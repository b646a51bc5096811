import assert from "node:assert/strict";
import { accessConnection } from "../../src/auth/access.ts";
import { recoveryHint } from "../../src/auth/refresh.ts";
import { RefreshError } from "../../src/errors.ts";
import { refusedUrl } from "../_fakes/oauth_server.ts";
import {
  CLIENT_ID,
  EXPIRES,
  EXPIRES_AT,
  type OAuthFixture,
  oauthFixture,
  OLD_ACCESS,
  OLD_REFRESH,
} from "./_oauth_fixture.ts";
import { connection } from "./_context.ts";

Deno.test.sanitizer?.({ ops: true, resources: true });

const BEFORE_EXPIRY = EXPIRES - 100_000; // inside the window, token still valid
const AFTER_EXPIRY = EXPIRES + 60_000;

async function refreshFailure(f: OAuthFixture): Promise<RefreshError> {
  let caught: unknown;
  try {
    await accessConnection(f.ctx, "fakehub", {});
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof RefreshError, `expected a RefreshError, got ${caught}`);
  assert.equal(caught.exitCode, 6);
  return caught;
}

const NETWORK_FAULTS = [
  { label: "HTTP 503", fault: { status: 503 }, reason: "HTTP 503 from token endpoint" },
  { label: "HTTP 500", fault: { status: 500 }, reason: "HTTP 500 from token endpoint" },
  { label: "HTTP 429", fault: { status: 429, retryAfter: 1 }, reason: /429/ },
] as const;

for (const { label, fault, reason } of NETWORK_FAULTS) {
  Deno.test(`${label} before expiry: stays connected, stored token with a warning`, async () => {
    await using f = await oauthFixture({ now: BEFORE_EXPIRY });
    f.server.faults.push("/token", fault);
    const { connection, warning } = await accessConnection(f.ctx, "fakehub", {});
    assert.equal(connection.accessToken?.reveal(), OLD_ACCESS);
    assert.equal(connection.status, "connected");
    assert.ok(warning?.startsWith("refresh failed for fakehub (default): "), String(warning));
    assert.match(warning!, typeof reason === "string" ? new RegExp(reason) : reason);
    assert.ok(warning!.includes(EXPIRES_AT), "the warning says until when the token is valid");
    const stored = await f.stored();
    assert.equal(stored.status, "connected");
    assert.equal(stored.accessToken?.reveal(), OLD_ACCESS);
    assert.equal(stored.refreshToken?.reveal(), OLD_REFRESH);
    assert.match(
      stored.lastRefreshError ?? "",
      typeof reason === "string" ? new RegExp(reason) : reason,
    );
  });

  Deno.test(`${label} past expiry: expired, exit 6, then connected again on success`, async () => {
    await using f = await oauthFixture({ now: AFTER_EXPIRY });
    f.server.faults.push("/token", fault);
    const error = await refreshFailure(f);
    if (typeof reason === "string") {
      assert.equal(error.message, `refresh failed for fakehub (default): ${reason}`);
    } else assert.match(error.message, reason);
    assert.match(error.hint ?? "", /authsome get fakehub --field status/);
    const stored = await f.stored();
    assert.equal(stored.status, "expired");
    assert.equal(stored.refreshToken?.reveal(), OLD_REFRESH, "the refresh token is kept");
    // The user retries a little later, with the network back.
    f.platform.advance(30_000);
    const { connection, warning } = await accessConnection(f.ctx, "fakehub", {});
    assert.equal(warning, undefined);
    assert.equal(f.tokenRequests(), 2);
    assert.equal(connection.status, "connected");
    assert.notEqual(connection.accessToken?.reveal(), OLD_ACCESS);
    const after = await f.stored();
    assert.equal(after.status, "connected");
    assert.equal(after.lastRefreshError, null);
  });
}

Deno.test("connection refused past expiry: expired with reason 'connection refused'", async () => {
  await using f = await oauthFixture({ now: AFTER_EXPIRY, tokenBase: refusedUrl() });
  const error = await refreshFailure(f);
  assert.equal(error.message, "refresh failed for fakehub (default): connection refused");
  assert.equal((await f.stored()).status, "expired");
});

Deno.test("connection refused before expiry: still connected, with a warning", async () => {
  await using f = await oauthFixture({ now: BEFORE_EXPIRY, tokenBase: refusedUrl() });
  const { connection, warning } = await accessConnection(f.ctx, "fakehub", {});
  assert.equal(connection.accessToken?.reveal(), OLD_ACCESS);
  assert.match(warning ?? "", /^refresh failed for fakehub \(default\): connection refused/);
  assert.equal((await f.stored()).status, "connected");
});

Deno.test("a token endpoint that does not answer in time: 'connection timed out'", async () => {
  await using f = await oauthFixture({ now: AFTER_EXPIRY, env: { AUTHSOME_TOKEN_TIMEOUT: "0.2" } });
  f.server.faults.push("/token", { delayMs: 3_000, status: 503 });
  const error = await refreshFailure(f);
  assert.equal(error.message, "refresh failed for fakehub (default): connection timed out");
  assert.equal((await f.stored()).status, "expired");
});

const REJECTING = ["invalid_grant", "invalid_client", "expired_token", "unauthorized_client"];

for (const code of REJECTING) {
  for (const when of [BEFORE_EXPIRY, AFTER_EXPIRY]) {
    const label = when === BEFORE_EXPIRY ? "before" : "after";
    Deno.test(`${code} (${label} expiry): invalid, exit 6, never sent again`, async () => {
      await using f = await oauthFixture({ now: when });
      f.server.faults.push("/token", { oauthError: code });
      const error = await refreshFailure(f);
      assert.equal(error.message, `refresh failed for fakehub (default): ${code}`);
      if (code === "expired_token") {
        assert.equal(error.hint, "authsome login fakehub --force");
      } else {
        assert.match(error.hint ?? "", /^authsome revoke fakehub\b/);
        assert.match(error.hint ?? "", /\nauthsome login fakehub\b/);
      }
      const stored = await f.stored();
      assert.equal(stored.status, "invalid");
      assert.equal(stored.lastRefreshError, code);
      // An invalid connection is not sent to the provider again.
      f.platform.advance(60_000);
      const again = await refreshFailure(f);
      assert.equal(again.message, error.message);
      assert.equal(f.tokenRequests(), 1);
    });
  }
}

Deno.test("invalid_grant sent with HTTP 200 (GitHub style) is still invalid", async () => {
  await using f = await oauthFixture({ now: AFTER_EXPIRY });
  f.server.faults.push("/token", { oauthError: "invalid_grant", status: 200 });
  const error = await refreshFailure(f);
  assert.equal(error.message, "refresh failed for fakehub (default): invalid_grant");
  assert.equal((await f.stored()).status, "invalid");
});

Deno.test("GitHub's bad_refresh_token: invalid, and the message names the provider's code", async () => {
  await using f = await oauthFixture({ now: AFTER_EXPIRY });
  f.server.faults.push("/token", { oauthError: "bad_refresh_token", status: 200 });
  const error = await refreshFailure(f);
  assert.equal(
    error.message,
    "refresh failed for fakehub (default): invalid_grant (bad_refresh_token)",
  );
  // Still the recovery of an invalid_grant, now and on the next (local) failure.
  assert.match(error.hint ?? "", /^authsome revoke fakehub\b/);
  const stored = await f.stored();
  assert.equal(stored.status, "invalid");
  assert.equal(stored.lastRefreshError, "invalid_grant (bad_refresh_token)");
  const again = await refreshFailure(f);
  assert.equal(again.message, error.message);
  assert.equal(again.hint, error.hint);
  assert.equal(f.tokenRequests(), 1);
});

Deno.test("Slack's invalid_client_id: invalid_client (invalid_client_id)", async () => {
  await using f = await oauthFixture({ now: AFTER_EXPIRY });
  f.server.faults.push("/token", { oauthError: "invalid_client_id", status: 200 });
  const error = await refreshFailure(f);
  assert.equal(
    error.message,
    "refresh failed for fakehub (default): invalid_client (invalid_client_id)",
  );
  assert.equal((await f.stored()).status, "invalid");
});

Deno.test("invalid_grant in a form-encoded answer is still invalid", async () => {
  await using f = await oauthFixture({ now: AFTER_EXPIRY });
  f.server.faults.push("/token", { oauthError: "invalid_grant", status: 200, formEncoded: true });
  await refreshFailure(f);
  assert.equal((await f.stored()).status, "invalid");
});

for (
  const code of ["invalid_scope", "invalid_request", "server_error", "temporarily_unavailable"]
) {
  Deno.test(`${code} never makes the connection invalid`, async () => {
    await using f = await oauthFixture({ now: BEFORE_EXPIRY });
    f.server.faults.push("/token", { oauthError: code });
    const { connection, warning } = await accessConnection(f.ctx, "fakehub", {});
    assert.equal(connection.accessToken?.reveal(), OLD_ACCESS);
    assert.match(warning ?? "", new RegExp(`^refresh failed for fakehub \\(default\\): ${code}`));
    assert.equal((await f.stored()).status, "connected");
    // Past expiry the same answer leaves it expired (retryable), not invalid.
    f.platform.setNow(AFTER_EXPIRY);
    f.server.faults.push("/token", { oauthError: code });
    const error = await refreshFailure(f);
    assert.equal(error.message, `refresh failed for fakehub (default): ${code}`);
    assert.equal((await f.stored()).status, "expired");
    // ... and a later success brings it back.
    f.platform.advance(30_000);
    const ok = await accessConnection(f.ctx, "fakehub", {});
    assert.equal(ok.connection.status, "connected");
    assert.equal((await f.stored()).status, "connected");
  });
}

Deno.test("a rotated refresh token is stored", async () => {
  await using f = await oauthFixture({ now: AFTER_EXPIRY });
  await accessConnection(f.ctx, "fakehub", {});
  const current = f.server.currentRefreshToken(OLD_REFRESH);
  assert.ok(current && current !== OLD_REFRESH);
  assert.equal((await f.stored()).refreshToken?.reveal(), current);
});

Deno.test("without a refresh token in the answer, the stored one is kept", async () => {
  await using f = await oauthFixture({ now: AFTER_EXPIRY });
  f.server.faults.push("/token", { omitRefreshToken: true });
  const { connection } = await accessConnection(f.ctx, "fakehub", {});
  assert.notEqual(connection.accessToken?.reveal(), OLD_ACCESS);
  const stored = await f.stored();
  assert.equal(stored.refreshToken?.reveal(), OLD_REFRESH);
  assert.equal(f.server.currentRefreshToken(OLD_REFRESH), OLD_REFRESH);
  // The kept token still works for the next refresh.
  f.platform.advance(4_000_000);
  await accessConnection(f.ctx, "fakehub", {});
  assert.equal(f.tokenRequests(), 2);
  assert.equal((await f.stored()).status, "connected");
});

Deno.test("expires_in sent as a string is honoured", async () => {
  await using f = await oauthFixture({ now: AFTER_EXPIRY });
  f.server.faults.push("/token", { expiresInAsString: true, expiresIn: 1800 });
  await accessConnection(f.ctx, "fakehub", {});
  const stored = await f.stored();
  assert.equal(
    stored.expiresAt,
    new Date(AFTER_EXPIRY + 1_800_000).toISOString().replace(".000", ""),
  );
  // Fresh for 30 minutes: no new request in between.
  f.platform.advance(1_000_000);
  await accessConnection(f.ctx, "fakehub", {});
  assert.equal(f.tokenRequests(), 1);
});

Deno.test("a missing refresh token fails past expiry with exit 6 and no request", async () => {
  await using f = await oauthFixture({ now: AFTER_EXPIRY, connection: { refreshToken: null } });
  const error = await refreshFailure(f);
  assert.equal(error.message, "refresh failed for fakehub (default): no refresh token stored");
  assert.equal(f.tokenRequests(), 0);
  assert.notEqual((await f.stored()).status, "connected");
});

Deno.test({
  name: "a missing refresh token: the hint is the login command, not a network retry",
  fn: async () => {
    await using f = await oauthFixture({ now: AFTER_EXPIRY, connection: { refreshToken: null } });
    const error = await refreshFailure(f);
    assert.match(error.hint ?? "", /authsome login fakehub/);
    assert.doesNotMatch(error.hint ?? "", /network/);
  },
});

Deno.test({
  name: "a missing refresh token before expiry still returns the valid token with a warning",
  // Providers may issue expiring tokens without a refresh token (Google without offline
  // access): the token stays usable until it expires, with a warning.
  fn: async () => {
    await using f = await oauthFixture({ now: BEFORE_EXPIRY, connection: { refreshToken: null } });
    const { connection, warning } = await accessConnection(f.ctx, "fakehub", {});
    assert.equal(connection.accessToken?.reveal(), OLD_ACCESS);
    assert.ok(warning);
    assert.equal(f.tokenRequests(), 0);
    assert.notEqual((await f.stored()).status, "invalid");
  },
});

Deno.test("every refresh attempt is audited with its outcome and reason", async () => {
  await using f = await oauthFixture({ now: AFTER_EXPIRY });
  f.server.faults.push("/token", { status: 503 });
  await refreshFailure(f);
  f.platform.advance(10_000);
  await accessConnection(f.ctx, "fakehub", {});
  f.platform.advance(10_000_000);
  f.server.faults.push("/token", { oauthError: "invalid_grant" });
  await refreshFailure(f);
  const entries = (await f.audit.tail(10)).filter((e) => e.event === "refresh");
  assert.deepEqual(
    entries.map((e) => [e.status, e.error, e.new_status, e.provider, e.connection]),
    [
      ["failure", "HTTP 503 from token endpoint", "expired", "fakehub", "default"],
      ["success", undefined, "connected", "fakehub", "default"],
      ["failure", "invalid_grant", "invalid", "fakehub", "default"],
    ],
  );
  const log = await Deno.readTextFile(f.audit.path);
  assert.ok(!log.includes(OLD_REFRESH) && !log.includes(OLD_ACCESS));
  assert.ok(!log.includes(CLIENT_ID + "-secret"));
});

Deno.test("recovery hints target the failing connection: the page's commands for the default one", () => {
  const at = (connectionName: string, profile: string) =>
    connection({ provider: "fakehub", authType: "oauth2", connectionName, profile });
  assert.equal(
    recoveryHint(at("default", "default"), "expired_token"),
    "authsome login fakehub --force",
  );
  assert.equal(
    recoveryHint(at("ci", "work"), "expired_token"),
    "authsome login fakehub --connection ci --profile work --force",
  );
  // A dead grant of one named connection: log in to it again, not revoke all of them.
  assert.equal(
    recoveryHint(at("ci", "work"), "invalid_grant"),
    "authsome login fakehub --connection ci --profile work --force",
  );
  assert.equal(
    recoveryHint(at("ci", "default"), "invalid_grant"),
    "authsome login fakehub --connection ci --force",
  );
  assert.equal(
    recoveryHint(at("default", "work"), "invalid_grant"),
    "authsome login fakehub --profile work --force",
  );
  // The page's exact commands for the default connection of the default profile.
  assert.equal(
    recoveryHint(at("default", "default"), "invalid_grant"),
    "authsome revoke fakehub     # clear local state + remote (if supported)\n" +
      "authsome login fakehub      # re-run the flow",
  );
  // A rejected client is shared by every connection and `login --force` would reuse it: revoke.
  assert.equal(
    recoveryHint(at("ci", "work"), "invalid_client"),
    "authsome revoke fakehub --profile work     # clear local state + remote (if supported)\n" +
      "authsome login fakehub --connection ci --profile work      # re-run the flow",
  );
  assert.equal(
    recoveryHint(at("ci", "default"), "connection timed out"),
    "Retry once your network is back: authsome get fakehub --connection ci --field status",
  );
});
