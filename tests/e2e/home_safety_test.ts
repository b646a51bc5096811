/**
 * End-to-end: a home another user could tamper with is refused before anything in it is
 * trusted (exit 7, with the fixing command).
 */
import assert from "node:assert/strict";
import { expectExit, expectJsonError, isRoot, openaiKey, show, withHome } from "./_helpers.ts";

Deno.test("a group- or world-writable home is refused with exit 7 and `chmod 700 <home>`", () =>
  withHome(async (h) => {
    await h.login("openai", openaiKey(), { envVar: "OPENAI_API_KEY" });
    for (const mode of [0o777, 0o770]) {
      await Deno.chmod(h.home, mode);
      for (const args of [["get", "openai"], ["list"], ["log"]]) {
        const result = await h.run(args);
        expectExit(result, 7, `authsome ${args.join(" ")} with a ${mode.toString(8)} home`);
        assert.match(result.stderr, /can be written by other users/, show(result));
        assert.ok(result.stderr.includes(`chmod 700 ${h.home}`), show(result));
      }
      const json = expectJsonError(
        await h.run(["get", "openai", "--json"]),
        "unsafe_permissions",
        7,
      );
      assert.ok(String(json.hint).includes(`chmod 700 ${h.home}`));
    }
    await Deno.chmod(h.home, 0o700);
    await h.ok(["get", "openai"]);
  }));

Deno.test({
  name: "a home owned by another user is refused with exit 7, naming both users",
  ignore: !isRoot(),
  fn: () =>
    withHome(async (h) => {
      await h.login("openai", openaiKey(), { envVar: "OPENAI_API_KEY" });
      await Deno.chown(h.home, 65534, null);
      try {
        const result = await h.run(["get", "openai"]);
        expectExit(result, 7, "authsome get openai in a foreign home");
        assert.match(result.stderr, /belongs to another user \(uid 65534, you are uid 0\)/);
        assert.match(result.stderr, /chown -R 0 .* && chmod 700 /, show(result));
      } finally {
        await Deno.chown(h.home, 0, null);
      }
    }),
});
