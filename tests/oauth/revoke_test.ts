import assert from "node:assert/strict";
import { InterruptedError } from "../../src/errors.ts";
import { Secret } from "../../src/model/secret.ts";
import { revokeToken } from "../../src/oauth/revoke.ts";
import { closedPort, fields, json, testDeps, withRawServer } from "./_helpers.ts";

Deno.test.sanitizer?.({ ops: true, resources: true });

const URL_ = "https://as.example/revoke";
const TOKEN = new Secret("rt-to-revoke-1");
const CLIENT = { clientId: "cid", clientSecret: new Secret("revoke-secret-1") };

Deno.test("revokeToken: 200 is revoked; the body carries token, hint and client auth", async () => {
  const deps = testDeps(() => new Response(null, { status: 200 }));
  assert.equal(
    await revokeToken(deps, {
      url: URL_,
      token: TOKEN,
      tokenTypeHint: "refresh_token",
      client: CLIENT,
    }),
    "revoked",
  );
  assert.deepEqual(fields(deps.bodies[0]), {
    token: "rt-to-revoke-1",
    token_type_hint: "refresh_token",
    client_id: "cid",
    client_secret: "revoke-secret-1",
  });
  assert.ok(deps.logs.some((line) => line.message === "token revoked"));
  assert.equal(deps.logText().includes("rt-to-revoke-1"), false);
  assert.equal(deps.logText().includes("revoke-secret-1"), false);
});

Deno.test("revokeToken: 204 counts as revoked too", async () => {
  const deps = testDeps(() => new Response(null, { status: 204 }));
  assert.equal(
    await revokeToken(deps, {
      url: URL_,
      token: TOKEN,
      tokenTypeHint: "access_token",
      client: CLIENT,
    }),
    "revoked",
  );
});

Deno.test("revokeToken: error statuses are failed, never thrown", async () => {
  for (
    const response of [
      () => json({ error: "unsupported_token_type" }, 400),
      () => new Response("down", { status: 503 }),
      () => json({ error: "invalid_client" }, 401),
    ]
  ) {
    const deps = testDeps(response);
    assert.equal(
      await revokeToken(deps, {
        url: URL_,
        token: TOKEN,
        tokenTypeHint: "refresh_token",
        client: CLIENT,
      }),
      "failed",
    );
    assert.ok(deps.logs.some((line) => line.message === "token revocation failed"));
  }
});

Deno.test("revokeToken: network failures are failed", async () => {
  const refused = testDeps();
  assert.equal(
    await revokeToken(refused, {
      url: `http://127.0.0.1:${closedPort()}/revoke`,
      token: TOKEN,
      tokenTypeHint: "refresh_token",
      client: CLIENT,
    }),
    "failed",
  );
  assert.match(refused.logText(), /connection refused/);
  await withRawServer("silent", async (base) => {
    const deps = testDeps();
    assert.equal(
      await revokeToken(deps, {
        url: `${base}/revoke`,
        token: TOKEN,
        tokenTypeHint: "refresh_token",
        client: CLIENT,
        timeoutMs: 100,
      }),
      "failed",
    );
    assert.match(deps.logText(), /connection timed out/);
  });
});

Deno.test("revokeToken: Ctrl-C still interrupts", async () => {
  const controller = new AbortController();
  controller.abort();
  await assert.rejects(
    revokeToken(testDeps(() => new Response(null), { signal: controller.signal }), {
      url: URL_,
      token: TOKEN,
      tokenTypeHint: "refresh_token",
      client: CLIENT,
    }),
    InterruptedError,
  );
});
