import assert from "node:assert/strict";
import { UsageError } from "../../src/errors.ts";
import { hostAllowed, parseGrantSpec, parseTtl } from "../../src/grants/spec.ts";

Deno.test("parseTtl takes s, m, h, d from 1 s to 7 days", () => {
  assert.equal(parseTtl("90s"), 90_000);
  assert.equal(parseTtl("15m"), 900_000);
  assert.equal(parseTtl("2h"), 7_200_000);
  assert.equal(parseTtl("7d"), 604_800_000);
  for (const bad of ["0s", "8d", "15", "1.5h", "-1m", "m", ""]) {
    assert.throws(() => parseTtl(bad), UsageError, bad);
  }
});

Deno.test("parseGrantSpec splits comma lists, normalises hosts and methods, defaults to 15 minutes", () => {
  const spec = parseGrantSpec({
    name: "ci-agent",
    providers: ["github,openai", "github"],
    hosts: ["API.GitHub.com.", "127.0.0.2:8443"],
    methods: ["get,Post"],
  });
  assert.deepEqual(spec, {
    name: "ci-agent",
    providers: ["github", "openai"],
    hosts: ["api.github.com", "127.0.0.2:8443"],
    methods: ["GET", "POST"],
    ttlMs: 900_000,
  });
});

Deno.test("parseGrantSpec refuses a grant without providers, bad names, URLs as hosts, odd methods", () => {
  assert.throws(() => parseGrantSpec({ name: "a" }), /at least one --provider/);
  assert.throws(() => parseGrantSpec({ name: "a b", providers: ["x"] }), /invalid grant name/);
  assert.throws(
    () => parseGrantSpec({ name: "a", providers: ["x"], hosts: ["https://api.x.com/v1"] }),
    /--host takes a host name/,
  );
  assert.throws(() => parseGrantSpec({ name: "a", providers: ["x"], methods: ["G3T"] }), /method/);
});

Deno.test("hostAllowed: no hosts allows any; a host without a port matches every port", () => {
  assert.ok(hostAllowed([], "anything.example", 443));
  assert.ok(hostAllowed(["api.x.com"], "API.x.com", 8443));
  assert.ok(hostAllowed(["api.x.com:8443"], "api.x.com", 8443));
  assert.ok(!hostAllowed(["api.x.com:8443"], "api.x.com", 443));
  assert.ok(!hostAllowed(["api.x.com"], "evil.api.x.com", 443));
  assert.ok(hostAllowed(["[::1]:9000"], "::1", 9000));
});
