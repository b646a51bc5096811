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

Deno.test("a symlink planted at the audit log or a lock is refused (exit 7), its target untouched", () =>
  withHome(async (h) => {
    const key = openaiKey();
    await h.login("openai", key, { envVar: "OPENAI_API_KEY" });
    const victim = await h.fixture("victim", "precious\n");
    for (const name of ["audit.log", "audit.log.lock", "vault.lock"]) {
      const saved = await Deno.readFile(h.path(name)).catch(() => null);
      await Deno.remove(h.path(name)).catch(() => {});
      await Deno.symlink(victim, h.path(name));
      const args = name === "vault.lock"
        ? ["logout", "openai"]
        : ["get", "openai", "--field", "api_key"];
      const result = await h.run(args);
      expectExit(result, 7, `authsome ${args.join(" ")} with ${name} a symlink`);
      assert.match(
        result.stderr,
        new RegExp(`${name.replace(".", "\\.")} is a symbolic link`),
        show(result),
      );
      assert.ok(result.stderr.includes(`rm ${h.path(name)}`), show(result));
      assert.equal(
        await Deno.readTextFile(victim),
        "precious\n",
        `${name}: the target is unchanged`,
      );
      await Deno.remove(h.path(name));
      if (saved) await Deno.writeFile(h.path(name), saved, { mode: 0o600 });
    }
    const log = await h.run(["log"]);
    expectExit(log, 0, "authsome log once the links are gone");
  }));
