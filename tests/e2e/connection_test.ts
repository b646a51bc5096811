/**
 * `authsome connection list` and `authsome connection set-default`: the default connection is
 * visible and can be changed, and get/export follow it.
 */
import assert from "node:assert/strict";
import { expectExit, expectMatch, openaiKey, stdoutJson, withHome } from "./_helpers.ts";

Deno.test("connection set-default: get follows the new default; list marks it", async () => {
  await withHome(async (t) => {
    const first = openaiKey("first");
    const work = openaiKey("work");
    await t.login("openai", first);
    await t.login("openai", work, { connection: "work" });
    const before = await t.ok(["connection", "list"]);
    expectMatch(
      before.stdout,
      [/openai +default +\* +connected/, /openai +work +connected/],
      "list",
    );

    const set = await t.ok(["connection", "set-default", "openai", "work"]);
    expectMatch(
      set.stdout,
      ['openai now uses connection "work" by default (was "default")'],
      "set",
    );
    assert.equal((await t.ok(["get", "openai", "--field", "api_key"])).stdout.trim(), work);
    expectMatch((await t.ok(["export", "openai"])).stdout, [`OPENAI_API_KEY=${work}`], "export");

    const listed = stdoutJson<{ connections: { connection_name: string; default: boolean }[] }>(
      await t.ok(["connection", "list", "openai", "--json"]),
    );
    assert.deepEqual(
      listed.connections.map((c) => [c.connection_name, c.default]),
      [["default", false], ["work", true]],
    );
    const again = await t.ok(["connection", "set-default", "openai", "work"]);
    expectMatch(again.stdout, ["already uses"], "idempotent");
  });
});

Deno.test("connection set-default: a missing connection or provider is a clear error", async () => {
  await withHome(async (t) => {
    await t.login("openai", openaiKey());
    const missing = await t.run(["connection", "set-default", "openai", "nope"]);
    expectExit(missing, 5, "missing connection");
    expectMatch(missing.stderr, ["(it has: default)", "authsome connection list openai"], "hint");
    const unknown = await t.run(["connection", "set-default", "nosuch", "default"]);
    expectExit(unknown, 3, "unknown provider");
    const usage = await t.run(["connection", "set-default", "openai"]);
    expectExit(usage, 2, "missing argument");
  });
});

Deno.test("connection: help and completions know the new commands", async () => {
  await withHome(async (t) => {
    expectMatch((await t.ok(["--help"])).stdout, ["connection"], "top help");
    expectMatch((await t.ok(["connection", "--help"])).stdout, ["set-default", "list"], "help");
    for (const shell of ["bash", "zsh", "fish"]) {
      expectMatch((await t.ok(["completions", shell])).stdout, ["set-default", "import"], shell);
    }
  });
});
