/**
 * The predecessor's `run` habits: `authsome run <cmd>` without `--` (flags after the command
 * are the child's), and `AUTHSOME_PROXY_MODE=true` in a proxied child, where a nested
 * `authsome run` reuses the outer proxy.
 */
import assert from "node:assert/strict";
import { expectExit, withHome } from "./_helpers.ts";

const KEY = "sk-runcompat-abcdefghijklmnopqrstuvwxyz";

Deno.test("run without --: the first non-flag word is the command, later flags are its own", async () => {
  await withHome(async (t) => {
    await t.login("openai", KEY, { envVar: "OPENAI_API_KEY" });
    const seen = `${t.dir}/seen`;
    const result = await t.run([
      "run",
      "--env",
      "sh",
      "-c",
      'printf "%s|%s" "$OPENAI_API_KEY" "$*" > "$0"',
      seen,
      "--env",
      "--json",
    ]);
    expectExit(result, 0, "run sh -c ...");
    assert.equal(await Deno.readTextFile(seen), `${KEY}|--env --json`);
  });
});

Deno.test("run: the proxied child sees AUTHSOME_PROXY_MODE=true and a nested run reuses the proxy", async () => {
  await withHome(async (t) => {
    await t.login("openai", KEY, { envVar: "OPENAI_API_KEY" });
    const seen = `${t.dir}/seen`;
    const outer = await t.run(["run", "sh", "-c", 'printf %s "$AUTHSOME_PROXY_MODE" > "$0"', seen]);
    expectExit(outer, 0, "run (proxy)");
    assert.equal(await Deno.readTextFile(seen), "true");

    const proxy = "http://authsome:pw@127.0.0.1:9";
    const nested = await t.run(["run", "sh", "-c", 'printf %s "$HTTPS_PROXY" > "$0"', seen], {
      env: { AUTHSOME_PROXY_MODE: "true", HTTPS_PROXY: proxy },
    });
    expectExit(nested, 0, "nested run");
    assert.match(nested.stderr, /already inside an authsome run proxy session/);
    assert.equal(await Deno.readTextFile(seen), proxy, "the outer proxy is kept");
  });
});
