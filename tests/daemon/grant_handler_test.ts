/**
 * The daemon handler with grants and an unlock proof (key mode daemon), called with `Request`
 * objects: what the bearer token in `daemon/token` may still do, what the proof adds, and what
 * a grant token reaches.
 */
import assert from "node:assert/strict";
import { createDaemonHandler } from "../../src/daemon/handler.ts";
import { GrantRegistry } from "../../src/grants/registry.ts";
import { answerChallenge } from "../../src/daemon/unlock_challenge.ts";
import { keyConnection, store, testContext } from "../auth/_context.ts";

Deno.test.sanitizer?.({ ops: true, resources: true });

const PORT = 7998;
const ADMIN = "admin-token-0123456789abcdefghijklmnopqrstuvw";
const PROOF = new Uint8Array(32).fill(7);
const OPENAI_KEY = "sk-granttest0123456789abcdefghij";
const SLACK_KEY = "xoxb-granttest-0123456789";

async function setUp() {
  const t = await testContext();
  await store(t.ctx, keyConnection("openai", "default", OPENAI_KEY));
  await store(t.ctx, keyConnection("slack", "default", SLACK_KEY));
  const grants = new GrantRegistry(t.platform);
  const handler = createDaemonHandler(t.ctx, {
    token: ADMIN,
    port: PORT,
    version: "9.9.9",
    grants,
    unlockProof: PROOF,
  });
  const send = async (
    method: string,
    path: string,
    options: { token?: string; proof?: string; body?: unknown; rawProof?: string } = {},
  ) => {
    const headers = new Headers({
      host: `127.0.0.1:${PORT}`,
      authorization: `Bearer ${options.token ?? ADMIN}`,
    });
    if (options.proof) {
      // As the CLI does: a fresh nonce, answered for exactly this request.
      const challenge = await handler(
        new Request(`http://127.0.0.1:${PORT}/v1/unlock-challenge`, {
          method: "POST",
          headers: { host: `127.0.0.1:${PORT}`, authorization: `Bearer ${ADMIN}` },
        }),
      );
      const { nonce } = await challenge.json();
      headers.set(
        "x-authsome-unlock-proof",
        await answerChallenge(Uint8Array.fromBase64(options.proof), nonce, {
          method,
          path,
          body: options.body ? JSON.stringify(options.body) : "",
        }),
      );
    }
    if (options.rawProof) headers.set("x-authsome-unlock-proof", options.rawProof);
    if (options.body) headers.set("content-type", "application/json");
    const response = await handler(
      new Request(`http://127.0.0.1:${PORT}${path}`, {
        method,
        headers,
        body: options.body ? JSON.stringify(options.body) : undefined,
      }),
    );
    return {
      status: response.status,
      body: await response.json(),
      answer: headers.get("x-authsome-unlock-proof") ?? undefined,
    };
  };
  const handlerRequest = (method: string, path: string) =>
    handler(
      new Request(`http://127.0.0.1:${PORT}${path}`, {
        method,
        headers: { host: `127.0.0.1:${PORT}`, authorization: `Bearer ${ADMIN}` },
      }),
    );
  return {
    t,
    grants,
    send,
    handlerRequest,
    async [Symbol.asyncDispose]() {
      await grants.close();
      await t[Symbol.asyncDispose]();
    },
  };
}

Deno.test("key mode daemon: the bearer token alone reaches health and grant listing, not the vault or minting", async () => {
  await using s = await setUp();
  assert.equal((await s.send("GET", "/v1/health")).status, 200);
  assert.equal((await s.send("GET", "/v1/grants")).status, 200);
  for (
    const [method, path, body] of [
      ["POST", "/v1/token", { provider: "openai" }],
      ["POST", "/v1/export", {}],
      ["GET", "/v1/connections", undefined],
      ["POST", "/v1/grants", { name: "g", providers: ["openai"] }],
    ] as const
  ) {
    const reply = await s.send(method, path, { body });
    assert.equal(reply.status, 403, path);
    assert.match(reply.body.message, /bearer token alone neither opens the vault nor mints/);
    assert.ok(!JSON.stringify(reply.body).includes(OPENAI_KEY));
  }
  const wrong = await s.send("POST", "/v1/token", {
    body: { provider: "openai" },
    proof: new Uint8Array(32).toBase64(),
  });
  assert.equal(wrong.status, 403);
  const right = await s.send("POST", "/v1/token", {
    body: { provider: "openai" },
    proof: PROOF.toBase64(),
  });
  assert.equal(right.status, 200);
  assert.equal(right.body.token, OPENAI_KEY);
});

Deno.test("a grant token gets tokens of its providers only, nothing else, and nothing once revoked", async () => {
  await using s = await setUp();
  const minted = await s.send("POST", "/v1/grants", {
    proof: PROOF.toBase64(),
    body: { name: "agent", providers: ["openai"], ttl: "10m" },
  });
  assert.equal(minted.status, 200, JSON.stringify(minted.body));
  const token = minted.body.token as string;
  assert.ok(minted.body.proxy_port > 0);
  assert.match(minted.body.ca_certificate_pem, /BEGIN CERTIFICATE/);
  assert.deepEqual(minted.body.sources, ["openai/default"]);
  const own = await s.send("POST", "/v1/token", { token, body: { provider: "openai" } });
  assert.equal(own.status, 200);
  assert.equal(own.body.token, OPENAI_KEY);
  const other = await s.send("POST", "/v1/token", { token, body: { provider: "slack" } });
  assert.equal(other.status, 403);
  assert.equal(other.body.error, "grant_denied");
  assert.ok(!JSON.stringify(other.body).includes(SLACK_KEY));
  assert.equal((await s.send("GET", "/v1/connections", { token })).status, 403);
  assert.equal((await s.send("GET", "/v1/grants", { token })).status, 403);
  const listed = await s.send("GET", "/v1/grants");
  assert.deepEqual(listed.body.grants.map((g: { name: string }) => g.name), ["agent"]);
  assert.ok(!JSON.stringify(listed.body).includes(token));
  assert.equal((await s.send("DELETE", "/v1/grants/agent")).status, 200);
  assert.equal((await s.send("DELETE", "/v1/grants/agent")).status, 404);
  const after = await s.send("POST", "/v1/token", { token, body: { provider: "openai" } });
  assert.equal(after.status, 401);
  const audit = (await Deno.readTextFile(`${s.t.home}/audit.log`)).trim().split("\n")
    .map((line) => JSON.parse(line)).filter((e) => e.grant === "agent");
  assert.deepEqual(audit.map((e) => [e.event, e.provider ?? null, e.status]), [
    ["grant_create", null, "success"],
    ["get", "openai", "success"],
    ["get", "slack", "failure"],
    ["grant_revoke", null, "success"],
  ]);
});

Deno.test("a grant token past its TTL is refused with the expiry time", async () => {
  await using s = await setUp();
  const minted = await s.send("POST", "/v1/grants", {
    proof: PROOF.toBase64(),
    body: { name: "short", providers: ["openai"], ttl: "30s" },
  });
  const token = minted.body.token as string;
  s.t.platform.advance(30_000);
  const late = await s.send("POST", "/v1/token", { token, body: { provider: "openai" } });
  assert.equal(late.status, 403);
  assert.match(late.body.message, /grant "short" expired at/);
});

Deno.test("a grant token cannot pick another connection or profile of a granted provider", async () => {
  await using s = await setUp();
  const WORK_KEY = "sk-granttest-work-0123456789abcdef";
  const OTHER_PROFILE_KEY = "sk-granttest-otherprofile-01234567";
  await store(s.t.ctx, keyConnection("openai", "work", WORK_KEY));
  await store(s.t.ctx, {
    ...keyConnection("openai", "default", OTHER_PROFILE_KEY),
    profile: "other",
  });
  const minted = await s.send("POST", "/v1/grants", {
    proof: PROOF.toBase64(),
    body: { name: "agent", providers: ["openai"], ttl: "10m" },
  });
  const token = minted.body.token as string;
  for (
    const body of [
      { provider: "openai", connection: "work" },
      { provider: "openai", profile: "other" },
    ]
  ) {
    const reply = await s.send("POST", "/v1/token", { token, body });
    assert.equal(reply.status, 403, JSON.stringify(body));
    assert.equal(reply.body.error, "grant_denied");
    const text = JSON.stringify(reply.body);
    assert.ok(!text.includes(WORK_KEY) && !text.includes(OTHER_PROFILE_KEY), text);
  }
  const own = await s.send("POST", "/v1/token", { token, body: { provider: "openai" } });
  assert.equal(own.body.token, OPENAI_KEY);
});

Deno.test("a grant minted for a profile hands out that profile's credential", async () => {
  await using s = await setUp();
  const OTHER_PROFILE_KEY = "sk-granttest-otherprofile-01234567";
  await store(s.t.ctx, {
    ...keyConnection("openai", "default", OTHER_PROFILE_KEY),
    profile: "other",
  });
  const minted = await s.send("POST", "/v1/grants", {
    proof: PROOF.toBase64(),
    body: { name: "agent", providers: ["openai"], ttl: "10m", profile: "other" },
  });
  assert.equal(minted.status, 200, JSON.stringify(minted.body));
  const reply = await s.send("POST", "/v1/token", {
    token: minted.body.token,
    body: { provider: "openai" },
  });
  assert.equal(reply.status, 200, JSON.stringify(reply.body));
  assert.equal(reply.body.token, OTHER_PROFILE_KEY);
  assert.equal(reply.body.profile, "other");
});

Deno.test("key mode daemon: an unlock answer is good for one request, that request only; the fixed proof is refused", async () => {
  await using s = await setUp();
  const grab = await s.handlerRequest("POST", "/v1/unlock-challenge");
  const nonce = (await grab.json()).nonce as string;
  const body = { provider: "openai" };
  const answer = await answerChallenge(PROOF, nonce, {
    method: "POST",
    path: "/v1/token",
    body: JSON.stringify(body),
  });
  // What a process that once stood in for the daemon could have captured: the old fixed
  // proof, or one answer. Neither opens the vault for another request.
  const fixed = await s.send("POST", "/v1/token", { body, rawProof: PROOF.toBase64() });
  assert.equal(fixed.status, 403);
  const otherBody = await s.send("POST", "/v1/export", { body: {}, rawProof: answer });
  assert.equal(otherBody.status, 403);
  const first = await s.send("POST", "/v1/token", { body, rawProof: answer });
  assert.equal(first.status, 403, "the answer was used up by the refused request");
  const fresh = await s.send("POST", "/v1/token", { body, proof: PROOF.toBase64() });
  assert.equal(fresh.status, 200);
  const replay = await s.send("POST", "/v1/token", { body, rawProof: fresh.answer });
  assert.equal(replay.status, 403, "an answer is never accepted twice");
  assert.ok(!JSON.stringify(replay.body).includes(OPENAI_KEY));
});

Deno.test("refusals of one grant flood the audit log at most 20 a minute; the next entry counts the rest", async () => {
  await using s = await setUp();
  const minted = await s.send("POST", "/v1/grants", {
    proof: PROOF.toBase64(),
    body: { name: "noisy", providers: ["openai"], ttl: "1h" },
  });
  const token = minted.body.token as string;
  for (let i = 0; i < 50; i++) {
    const refused = await s.send("POST", "/v1/token", { token, body: { provider: "slack" } });
    assert.equal(refused.status, 403, "every refusal is still refused");
  }
  s.t.platform.advance(60_000);
  await s.send("POST", "/v1/token", { token, body: { provider: "slack" } });
  const failures = (await Deno.readTextFile(`${s.t.home}/audit.log`)).trim().split("\n")
    .map((line) => JSON.parse(line))
    .filter((e) => e.grant === "noisy" && e.status === "failure");
  assert.equal(failures.length, 21);
  assert.equal(failures[20].suppressed, 30);
  assert.equal(failures[0].suppressed, undefined);
});
