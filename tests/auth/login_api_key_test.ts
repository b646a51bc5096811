import assert from "node:assert/strict";
import { loadConnection } from "../../src/auth/connections.ts";
import { checkApiKey, loginWithApiKey, type SecretRequest } from "../../src/auth/login_api_key.ts";
import { findLoginTarget } from "../../src/auth/login_target.ts";
import { AuthenticationError } from "../../src/errors.ts";
import { Secret } from "../../src/model/secret.ts";
import { apiKeyProvider, definition, testContext } from "./_context.ts";

Deno.test.sanitizer?.({ ops: true, resources: true });

const ACME = definition(apiKeyProvider("acme", {
  header_name: "X-Api-Key",
  header_prefix: "",
  env_var: "ACME_API_KEY",
  key_pattern: "acme_[a-z0-9]{8}",
  key_pattern_hint: "Acme keys look like acme_ followed by 8 lowercase letters or digits",
}, { docs: "https://acme.test/keys", host_url: "api.acme.test" }));

const PLAIN = definition(apiKeyProvider("plain"));

/** A collector that answers `values` in order and records what it was asked. */
function collector(...values: string[]) {
  const requests: SecretRequest[] = [];
  const collect = (request: SecretRequest) => {
    requests.push(request);
    const next = values.shift();
    if (next === undefined) throw new Error("collector called too often");
    return Promise.resolve(new Secret(next));
  };
  return { collect, requests };
}

async function storedKey(
  t: Awaited<ReturnType<typeof testContext>>,
  provider: string,
  name?: string,
) {
  const connection = await loadConnection(await t.ctx.vault.read(), "default", provider, name);
  return connection.apiKey?.reveal();
}

Deno.test("login stores the collected key, trimmed, and tells the collector where to look", async () => {
  await using t = await testContext();
  const { collect, requests } = collector("  acme_abcd1234 \n");
  const result = await loginWithApiKey(t.ctx, ACME, { force: false }, collect);
  assert.deepEqual(result, {
    status: "success",
    provider: "acme",
    connection: "default",
    recordStatus: "connected",
  });
  assert.equal(await storedKey(t, "acme"), "acme_abcd1234");
  assert.deepEqual(requests, [{
    provider: "acme",
    displayName: "Acme",
    label: "API key",
    envVar: "ACME_API_KEY",
    hint: "Acme keys look like acme_ followed by 8 lowercase letters or digits",
    docs: "https://acme.test/keys",
  }]);
  const stored = await loadConnection(await t.ctx.vault.read(), "default", "acme", undefined);
  assert.equal(stored.status, "connected");
  assert.equal(stored.authType, "api_key");
  assert.equal(stored.hostUrl, "api.acme.test");
  assert.equal(stored.obtainedAt, "2026-11-25T12:00:00Z");
  // The first login also writes config.json.
  assert.ok(Deno.statSync(`${t.home}/config.json`).isFile);
});

Deno.test("login into a named connection", async () => {
  await using t = await testContext();
  await loginWithApiKey(
    t.ctx,
    PLAIN,
    { force: false, connection: "ci" },
    collector("k-ci-123").collect,
  );
  assert.equal(await storedKey(t, "plain", "ci"), "k-ci-123");
  // It is the provider's first connection, so it is also the default.
  assert.equal(await storedKey(t, "plain"), "k-ci-123");
});

Deno.test("an empty or blank key is refused with exit 4 and nothing is stored", async () => {
  for (const blank of ["", "   ", "\n\t"]) {
    await using t = await testContext();
    await assert.rejects(
      loginWithApiKey(t.ctx, PLAIN, { force: false }, collector(blank).collect),
      (error) => {
        assert.ok(error instanceof AuthenticationError);
        assert.equal(error.exitCode, 4);
        assert.equal(error.message, "API key cannot be empty");
        assert.equal(error.hint, "authsome login plain");
        return true;
      },
    );
    assert.equal((await t.ctx.vault.read()).size, 0);
  }
});

Deno.test("key_pattern must match the whole key; the provider's hint is shown", async () => {
  await using t = await testContext();
  for (const bad of ["acme_abcd12345", "xacme_abcd1234", "key: acme_abcd1234 ", "ACME_ABCD1234"]) {
    await assert.rejects(
      loginWithApiKey(t.ctx, ACME, { force: false }, collector(bad).collect),
      (error) => {
        assert.ok(error instanceof AuthenticationError, String(error));
        assert.equal(error.exitCode, 4);
        assert.equal(
          error.message,
          "the API key does not look like an Acme key: " +
            "Acme keys look like acme_ followed by 8 lowercase letters or digits",
        );
        assert.equal(error.hint, "authsome login acme", "nothing to replace: no --force");
        assert.ok(!error.message.includes(bad.trim()), "the refused key is not echoed");
        return true;
      },
      `"${bad}" must be refused`,
    );
  }
  assert.equal((await t.ctx.vault.read()).size, 0);
});

Deno.test("a key with a line break or control character inside is refused", async () => {
  await using t = await testContext();
  // Such a key could inject a variable of its own into `export` output.
  for (const bad of ["k-one-123\nEVIL=1", "k-one\r123", "k\u001b[31m-123"]) {
    await assert.rejects(
      loginWithApiKey(t.ctx, PLAIN, { force: false }, collector(bad).collect),
      (error) => {
        assert.ok(error instanceof AuthenticationError, String(error));
        assert.equal(error.exitCode, 4);
        assert.match(error.message, /control characters/);
        return true;
      },
      JSON.stringify(bad),
    );
  }
  assert.equal((await t.ctx.vault.read()).size, 0);
});

Deno.test("an alternation in key_pattern is full-matched as a whole", () => {
  const alt = definition(apiKeyProvider("alt", { key_pattern: "abc|def" }));
  assert.equal(checkApiKey(alt, new Secret("abc")).reveal(), "abc");
  assert.equal(checkApiKey(alt, new Secret("def")).reveal(), "def");
  // `^abc|def$` would accept these; `^(?:abc|def)$` must not.
  for (const bad of ["abcdef", "abcx", "xdef"]) {
    assert.throws(() => checkApiKey(alt, new Secret(bad)), (error: unknown) => {
      assert.ok(error instanceof AuthenticationError);
      assert.match(error.message, /\(expected pattern abc\|def\)$/);
      return true;
    }, bad);
  }
});

Deno.test("an existing connection is kept without force; force replaces it", async () => {
  await using t = await testContext();
  await loginWithApiKey(t.ctx, ACME, { force: false }, collector("acme_first111").collect);
  const again = collector("acme_second22");
  const kept = await loginWithApiKey(t.ctx, ACME, { force: false }, again.collect);
  assert.equal(kept.status, "already_connected");
  assert.equal(again.requests.length, 0, "no key is asked for when already connected");
  assert.equal(await storedKey(t, "acme"), "acme_first111");
  const replaced = await loginWithApiKey(t.ctx, ACME, { force: true }, again.collect);
  assert.equal(replaced.status, "success");
  assert.equal(await storedKey(t, "acme"), "acme_second22");
});

Deno.test("a refused key with force keeps the old key", async () => {
  await using t = await testContext();
  await loginWithApiKey(t.ctx, ACME, { force: false }, collector("acme_first111").collect);
  await assert.rejects(
    loginWithApiKey(t.ctx, ACME, { force: true }, collector("nope").collect),
    AuthenticationError,
  );
  assert.equal(await storedKey(t, "acme"), "acme_first111");
});

Deno.test("login is audited on success and on failure, without the key", async () => {
  await using t = await testContext();
  await assert.rejects(
    loginWithApiKey(t.ctx, ACME, { force: false }, collector("acme_WRONG!!").collect),
    AuthenticationError,
  );
  await loginWithApiKey(
    t.ctx,
    ACME,
    { force: false, connection: "ci" },
    collector("acme_good1234").collect,
  );
  const entries = await t.audit.tail(10);
  assert.equal(entries.length, 2);
  const [failure, success] = entries;
  assert.equal(failure.event, "login");
  assert.equal(failure.provider, "acme");
  assert.equal(failure.connection, "default");
  assert.equal(failure.status, "failure");
  assert.equal(failure.flow, "api_key");
  assert.match(String(failure.error), /does not look like an Acme key/);
  assert.equal(success.event, "login");
  assert.equal(success.connection, "ci");
  assert.equal(success.status, "success");
  assert.equal(success.flow, "api_key");
  assert.equal(success.timestamp, "2026-11-25T12:00:00.000Z");
  const text = await Deno.readTextFile(`${t.home}/audit.log`);
  assert.ok(!text.includes("acme_good1234") && !text.includes("acme_WRONG!!"));
});

Deno.test("login with the target the caller already read does not read the vault again before its write", async () => {
  await using t = await testContext();
  await loginWithApiKey(t.ctx, PLAIN, { force: false }, collector("k-first-1").collect);
  const target = await findLoginTarget(t.ctx, "plain", undefined);
  assert.equal(target.name, "default");
  assert.equal(target.existing?.apiKey?.reveal(), "k-first-1");
  const vault = t.ctx.vault;
  const read = vault.read.bind(vault);
  let reads = 0;
  vault.read = () => {
    reads++;
    return read();
  };
  const result = await loginWithApiKey(
    t.ctx,
    PLAIN,
    { force: true, target },
    collector("k-second-2").collect,
  );
  assert.equal(result.status, "success");
  assert.equal(reads, 1, "only the write's own read, under the lock");
  assert.equal(await storedKey(t, "plain"), "k-second-2");
});

Deno.test("findLoginTarget follows the provider's default connection", async () => {
  await using t = await testContext();
  await loginWithApiKey(
    t.ctx,
    PLAIN,
    { force: false, connection: "ci" },
    collector("k-ci-9").collect,
  );
  const target = await findLoginTarget(t.ctx, "plain", undefined);
  assert.equal(target.name, "ci", "the first connection of a provider becomes its default");
  assert.equal(target.existing?.connectionName, "ci");
  const other = await findLoginTarget(t.ctx, "plain", "other");
  assert.deepEqual([other.name, other.existing], ["other", null]);
});

Deno.test("a refused key's hint repeats the login it was for: connection, profile, --force", async () => {
  await using t = await testContext({ profile: "work" });
  await loginWithApiKey(
    t.ctx,
    ACME,
    { force: false, connection: "ci" },
    collector("acme_abcd1234").collect,
  );
  await assert.rejects(
    loginWithApiKey(t.ctx, ACME, { force: true, connection: "ci" }, collector("nope").collect),
    (error) => {
      assert.ok(error instanceof AuthenticationError);
      assert.equal(error.hint, "authsome login acme --connection ci --profile work --force");
      return true;
    },
  );
});

Deno.test("the refused key's hint keeps an explicit --connection default even when another connection is the default", async () => {
  await using t = await testContext();
  await loginWithApiKey(
    t.ctx,
    ACME,
    { force: false, connection: "ci" },
    collector("acme_abcd1234").collect,
  );
  await loginWithApiKey(
    t.ctx,
    ACME,
    { force: false, connection: "default" },
    collector("acme_efgh5678").collect,
  );
  await assert.rejects(
    loginWithApiKey(t.ctx, ACME, { force: true, connection: "default" }, collector("bad").collect),
    (error) => {
      assert.ok(error instanceof AuthenticationError);
      // Without --connection the retry would replace "ci", the provider's default.
      assert.equal(error.hint, "authsome login acme --connection default --force");
      return true;
    },
  );
});

Deno.test("the refused key's hint names the profile when AUTHSOME_PROFILE would pick another", async () => {
  await using t = await testContext({ profile: "default", env: { AUTHSOME_PROFILE: "work" } });
  await assert.rejects(
    loginWithApiKey(t.ctx, ACME, { force: false }, collector("bad").collect),
    (error) => {
      assert.ok(error instanceof AuthenticationError);
      assert.equal(error.hint, "authsome login acme --profile default");
      return true;
    },
  );
});
