/**
 * `grant` without a running daemon in a home whose key is on disk: the hint must be a command
 * that works there (`daemon start`), not `daemon unlock`, which such a home refuses.
 */
import assert from "node:assert/strict";
import { tempHome } from "../_fakes/platform.ts";
import { runCli } from "./_cli.ts";

Deno.test("grant list with no daemon in a master.key home exits 9 and hints daemon start", async () => {
  await using dir = await tempHome();
  const login = await runCli(["login", "openai"], {
    home: dir.home,
    env: { OPENAI_API_KEY: "sk-granthint-abcdefghijklmnopqrstuvwxyz" },
  });
  assert.equal(login.code, 0, login.stderr);
  const out = await runCli(["grant", "list"], { home: dir.home });
  assert.equal(out.code, 9, out.stderr);
  assert.match(out.stderr, /no authsome daemon is running/);
  assert.match(out.stderr, /^ {2}authsome daemon start$/m);
  assert.doesNotMatch(out.stderr, /daemon unlock/);
});
