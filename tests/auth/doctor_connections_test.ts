import assert from "node:assert/strict";
import { connectionChecks } from "../../src/auth/doctor_connections.ts";
import { connection, store, testContext } from "./_context.ts";

Deno.test.sanitizer?.({ ops: true, resources: true });

Deno.test("no vault yet: no connections row (the vault row says so)", async () => {
  await using t = await testContext();
  assert.deepEqual(await connectionChecks(t.ctx), []);
});

Deno.test("every profile is checked; each bad connection gets its own row and fix", async () => {
  await using t = await testContext();
  await store(
    t.ctx,
    connection({ provider: "hub", authType: "oauth2" }),
    connection({
      provider: "hub",
      authType: "oauth2",
      profile: "bots",
      connectionName: "ci",
      status: "invalid",
      lastRefreshError: "invalid_grant",
    }),
    connection({
      provider: "hub",
      authType: "oauth2",
      connectionName: "work",
      status: "expired",
      lastRefreshError: "no refresh token stored",
    }),
  );
  assert.deepEqual(await connectionChecks(t.ctx), [
    {
      name: "connections",
      ok: false,
      warning: undefined,
      detail: "hub (ci, profile bots) is invalid (invalid_grant)",
      hint: "authsome login hub --connection ci --profile bots --force",
    },
    {
      name: "connections",
      ok: true,
      warning: true,
      detail: "hub (work) is expired (no refresh token stored)",
      hint: "authsome login hub --connection work --force",
    },
  ]);
});

Deno.test("all connected: one passing row with the count", async () => {
  await using t = await testContext();
  await store(
    t.ctx,
    connection({ provider: "hub" }),
    connection({ provider: "hub", profile: "bots" }),
  );
  assert.deepEqual(await connectionChecks(t.ctx), [
    { name: "connections", ok: true, detail: "2 connected across 2 profiles" },
  ]);
});
