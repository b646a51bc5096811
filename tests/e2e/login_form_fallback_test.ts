/**
 * An API-key login without a terminal and with nothing on standard input (an agent started it
 * with stdin closed) opens the local browser form on a desktop instead of failing; with
 * `--no-browser` or in CI it still fails with exit 4 and the retry command.
 */
import assert from "node:assert/strict";
import { expectExit, expectMatch, openaiKey, withHome } from "./_helpers.ts";

const FORM_BROWSER = new URL("./_form_browser.ts", import.meta.url).pathname;

function desktopEnv(dir: string, key: string): Record<string, string> {
  return {
    DISPLAY: ":0",
    AUTHSOME_BROWSER: `${Deno.execPath()} run -A ${FORM_BROWSER}`,
    FORM_SECRET: key,
    FORM_OPENED_AT: `${dir}/opened`,
    NO_PROXY: "127.0.0.1,localhost",
  };
}

async function opened(dir: string): Promise<boolean> {
  try {
    await Deno.stat(`${dir}/opened`);
    return true;
  } catch {
    return false;
  }
}

Deno.test("login without a terminal and with empty stdin: the browser form collects the key", async () => {
  await withHome(async (t) => {
    const key = openaiKey("form");
    const login = await t.run(["login", "openai"], { stdin: "", env: desktopEnv(t.dir, key) });
    expectExit(login, 0, "login with empty stdin on a desktop");
    expectMatch(login.stderr, ["asking in the browser instead", "Opening your browser"], "notes");
    assert.ok(await opened(t.dir), "the form was opened");
    const got = await t.ok(["get", "openai", "--field", "api_key"]);
    assert.equal(got.stdout.trim(), key);
  });
});

Deno.test("login without a terminal and with empty stdin: --no-browser and CI still exit 4", async () => {
  await withHome(async (t) => {
    const env = desktopEnv(t.dir, openaiKey("form"));
    for (
      const [args, extra] of [
        [["login", "openai", "--no-browser"], {}],
        [["login", "openai"], { CI: "true" }],
      ] as const
    ) {
      const login = await t.run([...args], { stdin: "", env: { ...env, ...extra } });
      expectExit(login, 4, args.join(" "));
      expectMatch(login.stderr, ["API key cannot be empty", "authsome login openai"], "message");
    }
    assert.equal(await opened(t.dir), false, "no browser was opened");
  });
});

Deno.test("login with a key piped on stdin never opens the form", async () => {
  await withHome(async (t) => {
    const key = openaiKey("piped");
    await t.ok(["login", "openai"], { stdin: key, env: desktopEnv(t.dir, openaiKey("form")) });
    assert.equal(await opened(t.dir), false);
    assert.equal((await t.ok(["get", "openai", "--field", "api_key"])).stdout.trim(), key);
  });
});
