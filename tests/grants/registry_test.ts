import assert from "node:assert/strict";
import { GrantDeniedError, GrantRegistry } from "../../src/grants/registry.ts";
import { parseGrantSpec } from "../../src/grants/spec.ts";
import { fakePlatform } from "../_fakes/platform.ts";

Deno.test.sanitizer?.({ ops: true, resources: true });

function spec(extra: Record<string, unknown> = {}) {
  return parseGrantSpec({ name: "agent", providers: ["github"], ttl: "1m", ...extra });
}

Deno.test("a grant's token finds it; another token does not; the token is shown once", async () => {
  const platform = fakePlatform({ now: 1_000_000 });
  const grants = new GrantRegistry(platform);
  const { grant, token } = await grants.create(spec());
  assert.match(token, /^[A-Za-z0-9_-]{43}$/);
  assert.equal((await grants.byToken(token))?.name, "agent");
  assert.equal(await grants.byToken(token + "x"), null);
  assert.equal(grant.expiresAt, 1_060_000);
  assert.ok(!JSON.stringify(grants.list()).includes(token));
  await assert.rejects(grants.create(spec()), /already exists/);
  await grants.close();
});

Deno.test("check enforces provider, host, method and expiry, and says which", async () => {
  const platform = fakePlatform({ now: 0 });
  const grants = new GrantRegistry(platform);
  await grants.create(spec({ hosts: ["api.github.com"], methods: ["GET"] }));
  grants.check("agent", { provider: "github", host: "api.github.com", port: 443, method: "get" });
  const denied = (use: Parameters<GrantRegistry["check"]>[1], why: RegExp) =>
    assert.throws(() => grants.check("agent", use), (error: unknown) => {
      assert.ok(error instanceof GrantDeniedError);
      assert.equal(error.refusalStatus, 403);
      assert.match(error.message, why);
      return true;
    });
  denied({ provider: "slack" }, /does not allow provider slack/);
  denied({ provider: "github", host: "evil.com", port: 443 }, /does not allow host evil\.com/);
  denied({ provider: "github", host: "api.github.com", method: "DELETE" }, /method DELETE/);
  // A GET that asks the server to act as DELETE is a DELETE (Google APIs honour the header).
  denied(
    { provider: "github", host: "api.github.com", method: "GET", methodOverrides: ["DELETE"] },
    /method DELETE/,
  );
  grants.check("agent", { provider: "github", method: "GET", methodOverrides: ["get"] });
  platform.advance(60_000);
  denied({ provider: "github" }, /expired at 1970-01-01T00:01:00\.000Z/);
  grants.sweep();
  denied({ provider: "github" }, /expired at/);
  await grants.close();
});

Deno.test("revoke ends a grant at once and closes what serves it", async () => {
  const grants = new GrantRegistry(fakePlatform());
  const { token } = await grants.create(spec());
  let closed = 0;
  grants.onEnd("agent", () => Promise.resolve(void closed++));
  assert.equal(grants.revoke("agent"), true);
  assert.equal(grants.revoke("agent"), false);
  assert.equal(await grants.byToken(token), null);
  assert.throws(() => grants.check("agent", { provider: "github" }), /was revoked/);
  await grants.close();
  assert.equal(closed, 1);
});
