import assert from "node:assert/strict";
import {
  deleteConnection,
  listConnections,
  loadConnection,
  resolveConnectionName,
} from "../../src/auth/connections.ts";
import { CredentialMissingError, UsageError } from "../../src/errors.ts";
import { RecordId } from "../../src/model/connection.ts";
import { keyConnection, store, testContext } from "./_context.ts";

Deno.test.sanitizer?.({ ops: true, resources: true });

async function defaultOf(t: Awaited<ReturnType<typeof testContext>>, provider: string) {
  const snapshot = await t.ctx.vault.read();
  return await snapshot.get(RecordId.providerState("default", provider));
}

Deno.test("the first connection of a provider becomes its default", async () => {
  await using t = await testContext();
  await store(t.ctx, keyConnection("openai", "work", "sk-work-111111"));
  assert.deepEqual(await defaultOf(t, "openai"), { default_connection: "work" });
  await store(t.ctx, keyConnection("openai", "default", "sk-default-2222"));
  // A later connection, even one named "default", does not take the default over.
  assert.deepEqual(await defaultOf(t, "openai"), { default_connection: "work" });
  const snapshot = await t.ctx.vault.read();
  assert.equal(await resolveConnectionName(snapshot, "default", "openai", undefined), "work");
  const loaded = await loadConnection(snapshot, "default", "openai", undefined);
  assert.equal(loaded.connectionName, "work");
  assert.equal(loaded.apiKey?.reveal(), "sk-work-111111");
});

Deno.test("a first connection named 'default' is the default; an explicit name wins", async () => {
  await using t = await testContext();
  await store(t.ctx, keyConnection("openai", "default", "sk-default-1111"));
  await store(t.ctx, keyConnection("openai", "ci", "sk-ci-22222222"));
  const snapshot = await t.ctx.vault.read();
  assert.equal(
    (await loadConnection(snapshot, "default", "openai", undefined)).apiKey?.reveal(),
    "sk-default-1111",
  );
  assert.equal(
    (await loadConnection(snapshot, "default", "openai", "ci")).apiKey?.reveal(),
    "sk-ci-22222222",
  );
  assert.deepEqual(
    (await listConnections(snapshot, "default", "openai")).map((c) => c.connectionName),
    ["ci", "default"],
  );
});

Deno.test("without provider state, an existing 'default' connection stays the default", async () => {
  await using t = await testContext();
  // A record written without its provider state (an older version, a hand-made vault).
  await t.ctx.vault.update((tx) =>
    tx.put(RecordId.connection("default", "openai", "default"), {
      provider: "openai",
      connection_name: "default",
      auth_type: "api_key",
      api_key: "sk-legacy-11111",
    })
  );
  await store(t.ctx, keyConnection("openai", "work", "sk-work-2222222"));
  assert.deepEqual(await defaultOf(t, "openai"), { default_connection: "default" });
  const loaded = await loadConnection(await t.ctx.vault.read(), "default", "openai", undefined);
  assert.equal(loaded.apiKey?.reveal(), "sk-legacy-11111");
});

Deno.test("deleting the default moves it to a remaining connection", async () => {
  await using t = await testContext();
  await store(
    t.ctx,
    keyConnection("openai", "work", "sk-work-111111"),
    keyConnection("openai", "ci", "sk-ci-22222222"),
  );
  assert.deepEqual(await defaultOf(t, "openai"), { default_connection: "work" });
  await t.ctx.vault.update((tx) => deleteConnection(tx, "default", "openai", "work"));
  assert.deepEqual(await defaultOf(t, "openai"), { default_connection: "ci" });
  const loaded = await loadConnection(await t.ctx.vault.read(), "default", "openai", undefined);
  assert.equal(loaded.connectionName, "ci");
});

Deno.test("deleting the default prefers a remaining connection named 'default'", async () => {
  await using t = await testContext();
  await store(
    t.ctx,
    keyConnection("openai", "work", "sk-work-111111"),
    keyConnection("openai", "alpha", "sk-alpha-33333"),
    keyConnection("openai", "default", "sk-default-2222"),
  );
  await t.ctx.vault.update((tx) => deleteConnection(tx, "default", "openai", "work"));
  assert.deepEqual(await defaultOf(t, "openai"), { default_connection: "default" });
});

Deno.test("deleting a non-default connection keeps the default", async () => {
  await using t = await testContext();
  await store(
    t.ctx,
    keyConnection("openai", "work", "sk-work-111111"),
    keyConnection("openai", "ci", "sk-ci-22222222"),
  );
  await t.ctx.vault.update((tx) => deleteConnection(tx, "default", "openai", "ci"));
  assert.deepEqual(await defaultOf(t, "openai"), { default_connection: "work" });
});

Deno.test("deleting the last connection removes the provider state", async () => {
  await using t = await testContext();
  await store(t.ctx, keyConnection("openai", "work", "sk-work-111111"));
  await store(t.ctx, keyConnection("resend", "default", "re_other_333333"));
  await t.ctx.vault.update((tx) => deleteConnection(tx, "default", "openai", "work"));
  assert.equal(await defaultOf(t, "openai"), null);
  const snapshot = await t.ctx.vault.read();
  assert.deepEqual(await listConnections(snapshot, "default", "openai"), []);
  // Another provider is untouched.
  assert.deepEqual(await defaultOf(t, "resend"), { default_connection: "default" });
  // A later login starts over: its connection becomes the default again.
  await store(t.ctx, keyConnection("openai", "again", "sk-again-44444"));
  assert.deepEqual(await defaultOf(t, "openai"), { default_connection: "again" });
});

Deno.test("a missing connection is exit 5 with the login command as the hint", async () => {
  await using t = await testContext();
  const snapshot = await t.ctx.vault.read();
  await assert.rejects(loadConnection(snapshot, "default", "github", undefined), (error) => {
    assert.ok(error instanceof CredentialMissingError);
    assert.equal(error.exitCode, 5);
    assert.equal(error.hint, "authsome login github");
    assert.match(error.message, /no connection "default" for github/);
    return true;
  });
  await assert.rejects(loadConnection(snapshot, "default", "github", "ci"), (error) => {
    assert.ok(error instanceof CredentialMissingError);
    assert.equal(error.hint, "authsome login github --connection ci");
    return true;
  });
  await assert.rejects(loadConnection(snapshot, "work", "github", "ci"), (error) => {
    assert.ok(error instanceof CredentialMissingError);
    assert.equal(error.hint, "authsome login github --connection ci --profile work");
    return true;
  });
  await assert.rejects(loadConnection(snapshot, "work", "github", undefined), (error) => {
    assert.ok(error instanceof CredentialMissingError);
    assert.equal(error.hint, "authsome login github --profile work");
    return true;
  });
});

Deno.test("a default pointing at a deleted record names that connection in the hint", async () => {
  await using t = await testContext();
  await store(t.ctx, keyConnection("openai", "work", "sk-work-111111"));
  // Simulate a record lost outside authsome's bookkeeping.
  await t.ctx.vault.update((tx) => tx.delete(RecordId.connection("default", "openai", "work")));
  await assert.rejects(
    loadConnection(await t.ctx.vault.read(), "default", "openai", undefined),
    (error) => {
      assert.ok(error instanceof CredentialMissingError);
      assert.equal(error.hint, "authsome login openai --connection work");
      return true;
    },
  );
});

Deno.test("connections are per profile", async () => {
  await using t = await testContext();
  await store(t.ctx, { ...keyConnection("openai", "default", "sk-work-profile"), profile: "work" });
  const snapshot = await t.ctx.vault.read();
  assert.equal(
    (await loadConnection(snapshot, "work", "openai", undefined)).apiKey?.reveal(),
    "sk-work-profile",
  );
  await assert.rejects(
    loadConnection(snapshot, "default", "openai", undefined),
    CredentialMissingError,
  );
  assert.equal((await listConnections(snapshot, "default")).length, 0);
  assert.equal((await listConnections(snapshot, "work")).length, 1);
});

Deno.test("an unsafe explicit connection name is a usage error, not a lookup", async () => {
  await using t = await testContext();
  const snapshot = await t.ctx.vault.read();
  await assert.rejects(loadConnection(snapshot, "default", "openai", "../x"), UsageError);
});
