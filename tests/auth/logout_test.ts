import assert from "node:assert/strict";
import { findClient } from "../../src/auth/clients.ts";
import { listConnections } from "../../src/auth/connections.ts";
import { logout, revokeProvider, type Revoker } from "../../src/auth/logout.ts";
import { revokeRemotely } from "../../src/auth/remote_revoke.ts";
import { CredentialMissingError } from "../../src/errors.ts";
import { RecordId } from "../../src/model/connection.ts";
import { Secret } from "../../src/model/secret.ts";
import { clearProxyEnv, refusedUrl, startFakeAuthServer } from "../_fakes/oauth_server.ts";
import {
  apiKeyProvider,
  connection,
  definition,
  keyConnection,
  oauthProvider,
  store,
  storeClient,
  testContext,
} from "./_context.ts";

Deno.test.sanitizer?.({ ops: true, resources: true });
clearProxyEnv();

const ACME = definition(apiKeyProvider("acme"));

async function names(t: Awaited<ReturnType<typeof testContext>>, provider: string) {
  const list = await listConnections(await t.ctx.vault.read(), "default", provider);
  return list.map((c) => c.connectionName);
}

/** A revoker that records what it was asked and answers `outcome`. */
function recordingRevoker(outcome: "revoked" | "failed" | "not_supported") {
  const seen: string[] = [];
  const revoker: Revoker = (_ctx, def, conn) => {
    seen.push(`${def.name}/${conn.connectionName}`);
    return Promise.resolve(outcome);
  };
  return { revoker, seen };
}

Deno.test("logout of a missing connection is exit 5 and changes nothing", async () => {
  await using t = await testContext();
  await store(t.ctx, keyConnection("acme", "work", "acme-work-11111"));
  await assert.rejects(logout(t.ctx, ACME, { connection: "ci" }), (error) => {
    assert.ok(error instanceof CredentialMissingError);
    assert.equal(error.exitCode, 5);
    assert.match(error.message, /no connection "ci" for acme/);
    return true;
  });
  assert.deepEqual(await names(t, "acme"), ["work"]);
  await using empty = await testContext();
  await assert.rejects(logout(empty.ctx, ACME, {}), CredentialMissingError);
});

Deno.test("logout deletes exactly one connection and moves the default", async () => {
  await using t = await testContext();
  await store(
    t.ctx,
    keyConnection("acme", "work", "acme-work-11111"),
    keyConnection("acme", "ci", "acme-ci-2222222"),
    keyConnection("other", "default", "other-key-33333"),
  );
  const { revoker, seen } = recordingRevoker("not_supported");
  const result = await logout(t.ctx, ACME, { revoker });
  assert.deepEqual(result, { provider: "acme", connection: "work", remote: "not_supported" });
  assert.deepEqual(seen, ["acme/work"]);
  assert.deepEqual(await names(t, "acme"), ["ci"]);
  assert.deepEqual(await names(t, "other"), ["default"]);
  const snapshot = await t.ctx.vault.read();
  assert.deepEqual(await snapshot.get(RecordId.providerState("default", "acme")), {
    default_connection: "ci",
  });
  const [entry] = await t.audit.tail(1);
  assert.equal(entry.event, "logout");
  assert.equal(entry.provider, "acme");
  assert.equal(entry.connection, "work");
  assert.equal(entry.status, "success");
  assert.equal(entry.remote, "not_supported");
});

Deno.test("logout with --connection deletes that one only", async () => {
  await using t = await testContext();
  await store(
    t.ctx,
    keyConnection("acme", "work", "acme-work-11111"),
    keyConnection("acme", "ci", "acme-ci-2222222"),
  );
  await logout(t.ctx, ACME, { connection: "ci" });
  assert.deepEqual(await names(t, "acme"), ["work"]);
});

Deno.test("a failing remote revocation still deletes locally, and says so", async () => {
  await using t = await testContext();
  await store(t.ctx, keyConnection("acme", "default", "acme-key-111111"));
  const { revoker } = recordingRevoker("failed");
  const result = await logout(t.ctx, ACME, { revoker });
  assert.equal(result.remote, "failed");
  assert.deepEqual(await names(t, "acme"), []);
  assert.equal((await t.audit.tail(1))[0].remote, "failed");
});

Deno.test("an unreachable revocation endpoint fails fast and the connection is deleted", async () => {
  const dead = refusedUrl();
  const raw = oauthProvider("deadhub", dead);
  await using t = await testContext({ providers: [raw] });
  await store(t.ctx, oauthRecord("deadhub"));
  await storeClient(t.ctx, "deadhub", "client-1");
  const result = await logout(t.ctx, definition(raw), { revoker: revokeRemotely });
  assert.equal(result.remote, "failed");
  assert.deepEqual(await names(t, "deadhub"), []);
});

function oauthRecord(provider: string, name = "default") {
  return connection({
    provider,
    connectionName: name,
    authType: "oauth2",
    accessToken: new Secret(`${provider}-${name}-access-token`),
    refreshToken: new Secret(`${provider}-${name}-refresh-token`),
    tokenType: "Bearer",
    expiresAt: "2027-01-01T00:00:00Z",
  });
}

Deno.test("revoke removes every connection, the client and the provider state", async () => {
  await using server = await startFakeAuthServer();
  const raw = oauthProvider("hub", server.url);
  await using t = await testContext({ providers: [raw] });
  await store(t.ctx, oauthRecord("hub", "work"), oauthRecord("hub", "ci"), oauthRecord("keep"));
  await storeClient(t.ctx, "hub", "client-1");
  await storeClient(t.ctx, "keep", "client-2");
  const result = await revokeProvider(t.ctx, definition(raw), { revoker: revokeRemotely });
  assert.equal(result.provider, "hub");
  assert.equal(result.clientRemoved, true);
  assert.deepEqual(
    result.connections.sort((a, b) => a.connection.localeCompare(b.connection)),
    [{ connection: "ci", remote: "revoked" }, { connection: "work", remote: "revoked" }],
  );
  // The refresh tokens (which end the grants) reached the revocation endpoint.
  assert.ok(server.revokedTokens.includes("hub-work-refresh-token"));
  assert.ok(server.revokedTokens.includes("hub-ci-refresh-token"));
  const snapshot = await t.ctx.vault.read();
  assert.deepEqual(await listConnections(snapshot, "default", "hub"), []);
  assert.equal(await findClient(snapshot, "default", "hub"), null);
  assert.equal(await snapshot.get(RecordId.providerState("default", "hub")), null);
  // Another provider is untouched.
  assert.equal((await listConnections(snapshot, "default", "keep")).length, 1);
  assert.equal((await findClient(snapshot, "default", "keep"))?.clientId, "client-2");
  const [entry] = await t.audit.tail(1);
  assert.equal(entry.event, "revoke");
  assert.equal(entry.provider, "hub");
  assert.equal(entry.status, "success");
  assert.equal(entry.connections, 2);
  const log = await Deno.readTextFile(t.audit.path);
  assert.ok(!log.includes("refresh-token") && !log.includes("access-token"));
});

Deno.test("revoke with a failing revoker still clears everything; 'remove' is audited as such", async () => {
  await using t = await testContext();
  await store(
    t.ctx,
    keyConnection("acme", "a", "acme-a-1111111"),
    keyConnection("acme", "b", "acme-b-2222222"),
  );
  const { revoker, seen } = recordingRevoker("failed");
  const result = await revokeProvider(t.ctx, ACME, { revoker, event: "remove" });
  assert.deepEqual(seen.sort(), ["acme/a", "acme/b"]);
  assert.equal(result.clientRemoved, false);
  assert.deepEqual(result.connections.map((c) => c.remote), ["failed", "failed"]);
  assert.deepEqual(await names(t, "acme"), []);
  assert.equal((await t.audit.tail(1))[0].event, "remove");
});

Deno.test("revoke of a provider with nothing stored succeeds and reports nothing removed", async () => {
  await using t = await testContext();
  const result = await revokeProvider(t.ctx, ACME);
  assert.deepEqual(result, { provider: "acme", connections: [], clientRemoved: false });
});
