/**
 * `logout`, `revoke` and `remove` ask before deleting when standard input is a terminal (the
 * injected fake terminal here), and never when it is not or with `--yes`.
 */
import assert from "node:assert/strict";
import { main } from "../../src/commands/main.ts";
import { fakePlatform, tempHome } from "../_fakes/platform.ts";

Deno.test.sanitizer?.({ ops: true, resources: true });

const KEY_A = "sk-confirmtestAAAAAAAAAAAAAAAAAAAA";
const KEY_B = "sk-confirmtestBBBBBBBBBBBBBBBBBBBB";

async function setUp() {
  const dir = await tempHome();
  const cli = async (
    args: string[],
    options: { tty?: boolean; answers?: string[]; env?: Record<string, string> } = {},
  ) => {
    const platform = fakePlatform({
      env: { AUTHSOME_HOME: dir.home, ...options.env },
      stdinIsTerminal: options.tty ?? false,
    });
    platform.terminal.masked.push(...(options.answers ?? []));
    const code = await main([...args, "--log-file", ""], platform);
    return {
      code,
      stdout: platform.terminal.stdout,
      stderr: platform.terminal.stderr,
      unanswered: platform.terminal.masked.length,
    };
  };
  assert.equal((await cli(["login", "openai"], { env: { OPENAI_API_KEY: KEY_A } })).code, 0);
  assert.equal(
    (await cli(["login", "openai", "--connection", "work"], { env: { OPENAI_API_KEY: KEY_B } }))
      .code,
    0,
  );
  const connections = async () => {
    const out = await cli(["list", "--json"]);
    const openai = JSON.parse(out.stdout).providers.find((p: { name: string }) =>
      p.name === "openai"
    );
    return openai.connections.map((c: { connection_name: string }) => c.connection_name).sort();
  };
  return { cli, connections, [Symbol.asyncDispose]: dir[Symbol.asyncDispose] };
}

for (const answer of ["n", "", "no", "yikes"]) {
  Deno.test(`revoke on a terminal answered ${JSON.stringify(answer)}: exit 2, nothing deleted`, async () => {
    await using t = await setUp();
    const out = await t.cli(["revoke", "openai"], { tty: true, answers: [answer] });
    assert.equal(out.code, 2);
    assert.equal(out.unanswered, 0, "the question was asked");
    assert.equal(
      out.stderr,
      "Revoke all 2 connections of openai (default, work)? [y/N] " +
        "Error: not confirmed; nothing was deleted\n" +
        "  authsome revoke openai --yes      # to go ahead without this question\n",
    );
    assert.equal(out.stdout, "");
    assert.deepEqual(await t.connections(), ["default", "work"]);
  });
}

for (const answer of ["y", "Y", "yes", " YES "]) {
  Deno.test(`revoke on a terminal answered ${JSON.stringify(answer)}: revoked`, async () => {
    await using t = await setUp();
    const out = await t.cli(["revoke", "openai"], { tty: true, answers: [answer] });
    assert.equal(out.code, 0, out.stderr);
    assert.match(out.stdout, /Revoked all credentials for openai \(2 connections\)/);
    assert.deepEqual(await t.connections(), []);
  });
}

Deno.test("revoke --yes (or -y) on a terminal does not ask", async () => {
  // A fresh home for each flag: after the first revoke nothing is stored, and revoke with
  // nothing stored never asks, so a second flag on the same home would prove nothing.
  for (const flag of ["--yes", "-y"]) {
    await using t = await setUp();
    const out = await t.cli(["revoke", "openai", flag], { tty: true, answers: ["n"] });
    assert.equal(out.code, 0, out.stderr);
    assert.equal(out.unanswered, 1, "no question read");
    assert.doesNotMatch(out.stderr, /\[y\/N\]/);
    assert.deepEqual(await t.connections(), [], flag);
  }
});

Deno.test("revoke with standard input not a terminal (scripts, CI) proceeds without asking", async () => {
  await using t = await setUp();
  const out = await t.cli(["revoke", "openai", "--json"], { tty: false, answers: ["n"] });
  assert.equal(out.code, 0, out.stderr);
  assert.equal(out.unanswered, 1);
  assert.equal(out.stderr, "");
  assert.equal(JSON.parse(out.stdout).connections.length, 2);
});

Deno.test("revoke with nothing stored does not ask", async () => {
  await using t = await setUp();
  const out = await t.cli(["revoke", "resend"], { tty: true, answers: ["n"] });
  assert.equal(out.code, 0, out.stderr);
  assert.equal(out.unanswered, 1);
  assert.match(out.stdout, /Nothing stored for resend/);
});

Deno.test("logout on a terminal asks about the one connection; no keeps it", async () => {
  await using t = await setUp();
  const no = await t.cli(["logout", "openai", "--connection", "work"], {
    tty: true,
    answers: ["n"],
  });
  assert.equal(no.code, 2);
  assert.match(
    no.stderr,
    /^Log out of openai \(work\) and delete its credentials\? \[y\/N\] Error: not confirmed/,
  );
  assert.match(no.stderr, /authsome logout openai --connection work --yes/);
  assert.deepEqual(await t.connections(), ["default", "work"]);
  const yes = await t.cli(["logout", "openai", "--connection", "work"], {
    tty: true,
    answers: ["y"],
  });
  assert.equal(yes.code, 0, yes.stderr);
  assert.deepEqual(await t.connections(), ["default"]);
  // A connection that does not exist is reported, not asked about.
  const missing = await t.cli(["logout", "openai", "--connection", "gone"], {
    tty: true,
    answers: ["y"],
  });
  assert.equal(missing.code, 5);
  assert.equal(missing.unanswered, 1);
});

Deno.test("remove on a terminal names what it deletes; no keeps everything", async () => {
  await using t = await setUp();
  const no = await t.cli(["remove", "openai", "--profile", "default"], {
    tty: true,
    answers: ["n"],
  });
  assert.equal(no.code, 2);
  assert.match(
    no.stderr,
    /^Remove openai: revoke all 2 connections \(default, work\)\? \[y\/N\] Error: not confirmed/,
  );
  assert.match(no.stderr, /authsome remove openai --yes/);
  assert.deepEqual(await t.connections(), ["default", "work"]);
  const yes = await t.cli(["remove", "openai"], { tty: true, answers: ["yes"] });
  assert.equal(yes.code, 0, yes.stderr);
  assert.deepEqual(await t.connections(), []);
});
