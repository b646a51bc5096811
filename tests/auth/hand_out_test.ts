/**
 * `handOutCredential`, the one use case behind `get`, the daemon, `run` and the library: what
 * every caller gets the same (refresh rule, secret choice, unknown provider = exit 3, audit of
 * the reveal) and what each chooses (header, required secret, audit field, tolerated failure).
 */
import assert from "node:assert/strict";
import { handOutCredential } from "../../src/auth/hand_out.ts";
import {
  CredentialMissingError,
  InterruptedError,
  ProviderNotFoundError,
  RefreshError,
} from "../../src/errors.ts";
import { connection, keyConnection, store, testContext } from "./_context.ts";
import { EXPIRES, oauthFixture, OLD_ACCESS } from "./_oauth_fixture.ts";

Deno.test.sanitizer?.({ ops: true, resources: true });

async function auditLines(home: string): Promise<Record<string, unknown>[]> {
  const text = await Deno.readTextFile(`${home}/audit.log`).catch(() => "");
  return text.split("\n").filter(Boolean).map((line) => JSON.parse(line));
}

Deno.test("an API key is handed out as the api_key field, with no header unless asked", async () => {
  await using t = await testContext();
  await store(t.ctx, keyConnection("openai", "default", "sk-handout-0123456789abcdefghij"));
  const plain = await handOutCredential(t.ctx, "openai");
  assert.equal(plain.secretField, "api_key");
  assert.equal(plain.secret?.reveal(), "sk-handout-0123456789abcdefghij");
  assert.equal(plain.header, undefined);
  const withHeader = await handOutCredential(t.ctx, "openai", { header: true });
  assert.equal(withHeader.header?.name, "Authorization");
  assert.equal(withHeader.header?.value.reveal(), "Bearer sk-handout-0123456789abcdefghij");
  assert.equal(withHeader.definition?.name, "openai");
});

Deno.test("the reveal is audited only when the caller names an audit field", async () => {
  await using t = await testContext();
  await store(t.ctx, keyConnection("openai", "default", "sk-handout-0123456789abcdefghij"));
  await handOutCredential(t.ctx, "openai");
  assert.deepEqual(await auditLines(t.home), []);
  await handOutCredential(t.ctx, "openai", { auditField: "api_key" });
  const [entry] = await auditLines(t.home);
  assert.deepEqual(
    [entry.event, entry.provider, entry.connection, entry.status, entry.field],
    ["get", "openai", "default", "success", "api_key"],
  );
  assert.ok(!JSON.stringify(entry).includes("sk-handout"));
});

Deno.test("an OAuth2 token inside the refresh window is refreshed before it is handed out", async () => {
  await using f = await oauthFixture({ now: EXPIRES - 60_000 });
  const handed = await handOutCredential(f.ctx, "fakehub", { header: true });
  assert.equal(f.tokenRequests(), 1);
  assert.equal(handed.secretField, "access_token");
  assert.notEqual(handed.secret?.reveal(), OLD_ACCESS);
  assert.equal(handed.header?.value.reveal(), `Bearer ${handed.secret?.reveal()}`);
});

Deno.test("a connection without a credential: returned as is, or exit 5 when one is required", async () => {
  await using t = await testContext();
  await store(t.ctx, connection({ provider: "openai" }));
  const handed = await handOutCredential(t.ctx, "openai");
  assert.equal(handed.secret, null);
  for (const options of [{ requireSecret: true }, { header: true }]) {
    await assert.rejects(handOutCredential(t.ctx, "openai", options), (error) => {
      assert.ok(error instanceof CredentialMissingError);
      assert.equal(error.message, 'connection "default" of openai holds no credential');
      assert.equal(error.hint, "authsome login openai --force");
      return true;
    });
  }
});

Deno.test("an unknown provider is exit 3, a known one never logged in exit 5", async () => {
  await using t = await testContext();
  await assert.rejects(handOutCredential(t.ctx, "nope"), ProviderNotFoundError);
  await assert.rejects(handOutCredential(t.ctx, "openai"), CredentialMissingError);
});

Deno.test("a refused grant throws, unless the caller tolerates it (non-secret reads)", async () => {
  await using f = await oauthFixture({ now: EXPIRES + 60_000 });
  f.server.faults.push("/token", { oauthError: "invalid_grant" }, { oauthError: "invalid_grant" });
  await assert.rejects(handOutCredential(f.ctx, "fakehub", { auditField: "x" }), RefreshError);
  const tolerated = await handOutCredential(f.ctx, "fakehub", { tolerateRefreshFailure: true });
  assert.equal(tolerated.connection.status, "invalid");
  assert.ok(tolerated.refreshError instanceof RefreshError);
  assert.deepEqual((await auditLines(f.home)).map((e) => e.event), ["refresh"]);
});

Deno.test("an aborted signal stops the call with exit 130 before anything happens", async () => {
  await using f = await oauthFixture({ now: EXPIRES + 60_000 });
  const controller = new AbortController();
  controller.abort();
  await assert.rejects(
    handOutCredential(f.ctx, "fakehub", { signal: controller.signal }),
    (error) => error instanceof InterruptedError && error.exitCode === 130,
  );
  assert.equal(f.tokenRequests(), 0);
});
