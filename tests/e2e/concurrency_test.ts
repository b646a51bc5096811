/**
 * End-to-end concurrency: several CLI processes writing different connections at the same time
 * lose nothing; readers running alongside never see a torn vault.
 */
import assert from "node:assert/strict";
import {
  cloneHome,
  expectExit,
  openaiKey,
  resendKey,
  show,
  stdoutJson,
  type TestHome,
  withHome,
} from "./_helpers.ts";

interface Planned {
  provider: "openai" | "resend";
  connection: string;
  key: string;
  profile?: string;
}

async function login(h: TestHome, p: Planned): Promise<void> {
  const args = ["login", p.provider, "--connection", p.connection];
  if (p.profile) args.push("--profile", p.profile);
  // Half via the provider's environment variable, half via stdin.
  const viaEnv = p.connection.endsWith("0") || p.connection.endsWith("2");
  const envVar = p.provider === "openai" ? "OPENAI_API_KEY" : "RESEND_API_KEY";
  const result = await h.run(args, viaEnv ? { env: { [envVar]: p.key } } : { stdin: p.key });
  expectExit(result, 0, args.join(" "));
}

/** Asserts that the profile holds exactly `planned` (names and keys), via export and list. */
async function expectExactly(h: TestHome, planned: Planned[], profile = "default"): Promise<void> {
  const [exported, listed] = await Promise.all([
    h.run(["export", "--format", "json", "--profile", profile]),
    h.run(["list", "--json", "--profile", profile]),
  ]);
  expectExit(exported, 0, "export");
  expectExit(listed, 0, "list");
  const values = Object.values(stdoutJson<Record<string, string>>(exported)).sort();
  assert.deepEqual(values, planned.map((p) => p.key).sort(), "every key exported exactly once");
  const providers =
    stdoutJson<{ providers: { name: string; connections: { connection_name: string }[] }[] }>(
      listed,
    ).providers;
  const seen = providers.flatMap((p) => p.connections.map((c) => `${p.name}/${c.connection_name}`));
  assert.deepEqual(seen.sort(), planned.map((p) => `${p.provider}/${p.connection}`).sort());
}

function auditEntries(text: string): Record<string, unknown>[] {
  return text.split("\n").filter(Boolean).map((line, i) => {
    try {
      return JSON.parse(line);
    } catch {
      assert.fail(`audit.log line ${i + 1} is torn: ${line}`);
    }
  });
}

Deno.test("two processes each logging in 8 connections at the same time lose none", () =>
  withHome(async (h) => {
    await h.ok(["init"]);
    const a = Array.from({ length: 8 }, (_, i): Planned => ({
      provider: "openai",
      connection: `a${i}`,
      key: openaiKey(),
    }));
    const b = Array.from({ length: 8 }, (_, i): Planned => ({
      provider: "openai",
      connection: `b${i}`,
      key: openaiKey(),
    }));
    // Two writers, each logging in its 8 connections one after another, side by side.
    await Promise.all([a, b].map(async (chain) => {
      for (const p of chain) await login(h, p);
    }));
    await expectExactly(h, [...a, ...b]);
    const picks = [a[0], a[7], b[3], b[7]];
    const got = await Promise.all(
      picks.map((p) => h.ok(["get", "openai", "--connection", p.connection, "--field", "api_key"])),
    );
    got.forEach((r, i) => assert.equal(r.stdout, `${picks[i].key}\n`, show(r)));
  }));

Deno.test("16 logins started at the same instant, across providers and profiles, all survive and are all audited", () =>
  withHome(async (h) => {
    await h.ok(["init"]);
    const planned = Array.from({ length: 16 }, (_, i): Planned => ({
      provider: i % 2 === 0 ? "openai" : "resend",
      connection: `c${i}`,
      key: i % 2 === 0 ? openaiKey() : resendKey(),
      profile: i % 4 < 2 ? "default" : "work",
    }));
    await Promise.all(planned.map((p) => login(h, p)));
    await Promise.all([
      expectExactly(h, planned.filter((p) => p.profile === "default"), "default"),
      expectExactly(h, planned.filter((p) => p.profile === "work"), "work"),
    ]);
    const logins = auditEntries(await Deno.readTextFile(h.path("audit.log")))
      .filter((e) => e.event === "login");
    assert.equal(logins.length, 16, "one audit entry per login");
    assert.ok(logins.every((e) => e.status === "success"));
    assert.deepEqual(
      logins.map((e) => e.connection).sort(),
      planned.map((p) => p.connection).sort(),
    );
    // The previous generation kept by the last write is itself a readable vault.
    const restored = `${h.dir}/restored`;
    await cloneHome(h.home, restored);
    await Deno.copyFile(`${restored}/vault.enc.bak`, `${restored}/vault.enc`);
    expectExit(await h.run(["list", "--json"], { home: restored }), 0, "list on vault.enc.bak");
  }));

Deno.test("logins and logouts of different connections running together, with readers alongside, end in exactly the expected set", () =>
  withHome(async (h) => {
    const initial = Array.from({ length: 8 }, (_, i): Planned => ({
      provider: "resend",
      connection: `old${i}`,
      key: resendKey(),
    }));
    await login(h, initial[0]);
    await Promise.all(initial.slice(1).map((p) => login(h, p)));
    const added = Array.from({ length: 4 }, (_, i): Planned => ({
      provider: "resend",
      connection: `new${i}`,
      key: resendKey(),
    }));
    const removed = initial.slice(4);
    // old0 stays the default and is read throughout: a reader must never fail or see a torn file.
    const reads = Array.from(
      { length: 6 },
      () => h.run(["get", "resend", "--connection", "old1", "--field", "api_key"]),
    );
    await Promise.all([
      ...added.map((p) => login(h, p)),
      ...removed.map(async (p) =>
        expectExit(
          await h.run(["logout", "resend", "--connection", p.connection]),
          0,
          `logout ${p.connection}`,
        )
      ),
      ...reads.map(async (read) => {
        const result = await read;
        expectExit(result, 0, "get during concurrent writes");
        assert.equal(result.stdout, `${initial[1].key}\n`);
      }),
    ]);
    await expectExactly(h, [...initial.slice(0, 4), ...added]);
    const def = await h.ok(["get", "resend", "--field", "api_key"]);
    assert.equal(def.stdout, `${initial[0].key}\n`, "the default connection is unchanged");
  }));
