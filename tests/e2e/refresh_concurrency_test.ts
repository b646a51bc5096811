/**
 * Exactly one refresh across processes (docs/contract.md §4): 30 CLI processes started together on a
 * connection inside the refresh window make one token request and all print the same new
 * token, against a server that rotates refresh tokens and revokes the whole grant when an old
 * refresh token is replayed.
 */
import assert from "node:assert/strict";
import { startFakeAuthServer } from "../_fakes/oauth_server.ts";
import { tempHome } from "../_fakes/platform.ts";
import { runCli } from "./_cli.ts";
import { fromNow, oauthEnv, seedConnection, writeProvider } from "./_oauth_setup.ts";

Deno.test("30 parallel `get` calls on an expiring token make exactly one token request", async () => {
  await using dir = await tempHome();
  await Deno.mkdir(dir.home, { mode: 0o700 });
  await using server = await startFakeAuthServer();
  assert.equal(server.config.rotateRefreshTokens, true);
  assert.equal(server.config.revokeGrantOnReuse, true);
  await writeProvider(dir.home, server.url);
  server.seedGrant({ refreshToken: "rt-0", accessToken: "at-0", clientId: "authsome-test" });
  await seedConnection(dir.home, {
    accessToken: "at-0",
    refreshToken: "rt-0",
    expiresAt: fromNow(100), // inside the 300 s window, not yet expired
  });
  const results = await Promise.all(
    Array.from({ length: 30 }, () =>
      runCli(["get", "fakehub", "--field", "access_token"], {
        home: dir.home,
        env: oauthEnv(),
      })),
  );
  for (const result of results) assert.equal(result.code, 0, result.stderr);
  const tokens = new Set(results.map((r) => r.stdout.trim()));
  assert.equal(tokens.size, 1, `every process prints the same token: ${[...tokens]}`);
  const [token] = tokens;
  assert.notEqual(token, "at-0");
  assert.equal(server.tokenRequests().length, 1);
  assert.equal(server.isGrantRevoked("rt-0"), false, "no replayed refresh token");
  assert.ok(server.isAccessTokenActive(token));
  // The stored refresh token is the rotated one: one more refresh still works.
  const grant = server.grant("rt-0")!;
  assert.equal(grant.refreshCount, 1);
});
