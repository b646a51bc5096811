/**
 * `register` and the regular expressions in provider files: unanchored host patterns and
 * catastrophic-backtracking key patterns are refused with exit 2 and a fix; a file that slipped
 * into `providers/` by hand is skipped instead of hanging `login`.
 */
import assert from "node:assert/strict";
import { tempHome } from "../_fakes/platform.ts";
import { runCli } from "./_cli.ts";

function definition(extra: Record<string, unknown>) {
  return JSON.stringify({
    schema_version: 1,
    name: "acme",
    display_name: "Acme",
    auth_type: "api_key",
    flow: "api_key",
    api_key: { env_var: "ACME_KEY" },
    host_url: "api.acme.test",
    ...extra,
  });
}

Deno.test("register refuses an unanchored regex host_url with exit 2 and shows the anchored form", async () => {
  await using dir = await tempHome();
  const file = `${dir.home.replace(/\/home$/, "")}/acme.json`;
  await Deno.writeTextFile(file, definition({ host_url: "regex:[a-z]+\\.acme\\.test" }));
  const out = await runCli(["register", file], { home: dir.home });
  assert.equal(out.code, 2, out.stderr);
  assert.match(out.stderr, /host_url: a regex host pattern must be anchored with \^ and \$/);
  assert.ok(
    out.stderr.includes('In the file, write "host_url": "regex:^(?:[a-z]+\\\\.acme\\\\.test)$"'),
    out.stderr,
  );
  // Anchoring would not save this one: it says what else is wrong, with an example.
  await Deno.writeTextFile(file, definition({ host_url: "regex:.*acme.*" }));
  const loose = await runCli(["register", file], { home: dir.home });
  assert.equal(loose.code, 2, loose.stderr);
  assert.match(loose.stderr, /host_url: a regex host pattern must end in a literal domain suffix/);
  assert.match(loose.stderr, /For example: "host_url": "regex:\^/);
  const list = await runCli(["list", "--json"], { home: dir.home });
  assert.ok(!list.stdout.includes('"acme"'), "nothing was installed");
});

Deno.test("a key_pattern of ^(a+)+$ is refused by register and cannot hang login", async () => {
  await using dir = await tempHome();
  const file = `${dir.home.replace(/\/home$/, "")}/acme.json`;
  await Deno.writeTextFile(
    file,
    definition({ api_key: { env_var: "ACME_KEY", key_pattern: "^(a+)+$" } }),
  );
  const out = await runCli(["register", file], { home: dir.home });
  assert.equal(out.code, 2, out.stderr);
  assert.match(out.stderr, /key_pattern: .*exponential time/);
  // Copied into providers/ by hand: the file is skipped with a warning, login ends at once.
  await Deno.mkdir(`${dir.home}/providers`, { recursive: true });
  await Deno.copyFile(file, `${dir.home}/providers/acme.json`);
  const started = Date.now();
  const login = await runCli(["login", "acme"], {
    home: dir.home,
    env: { ACME_KEY: `${"a".repeat(40)}!` },
  });
  assert.ok(Date.now() - started < 15_000, "login did not hang");
  assert.equal(login.code, 3, login.stderr);
  assert.match(login.stderr, /skipping invalid provider file .*exponential time/);
});
