/**
 * End-to-end: bad input. Each case checks the message, the exit code (docs/contract.md §6), the
 * `--json` error shape, and that `vault.enc` (and `vault.enc.bak`) are byte-for-byte unchanged.
 */
import assert from "node:assert/strict";
import {
  type CliResult,
  cloneHome,
  expectExit,
  expectJsonError,
  expectMatch,
  expectVaultUnchanged,
  holdLock,
  isRoot,
  openaiKey,
  randomMasterKey,
  resendKey,
  type RunOptions,
  show,
  type TestHome,
  vaultBytes,
  withHome,
} from "./_helpers.ts";

/** A home with two providers logged in (so the vault has records and a backup). */
async function seed(h: TestHome): Promise<{ openai: string; resend: string }> {
  const openai = openaiKey();
  const resend = resendKey();
  await h.login("openai", openai, { envVar: "OPENAI_API_KEY" });
  await h.login("resend", resend, { connection: "ci" });
  return { openai, resend };
}

interface Case {
  args: string[];
  options?: RunOptions;
  exit: number;
  /** The `error` code of the `--json` failure. */
  code: string;
  /** Patterns the human error (stderr) must match. */
  stderr: (RegExp | string)[];
}

/** Runs a case in human mode and (unless `json` is false) with `--json`, checking both. */
async function check(h: TestHome, c: Case, home?: string, json = true): Promise<void> {
  const what = `authsome ${c.args.join(" ")}`;
  const options = { ...c.options, home: home ?? c.options?.home };
  const [human, machine] = await Promise.all([
    h.run(c.args, options),
    json ? h.run([...c.args, "--json"], options) : null,
  ]);
  expectExit(human, c.exit, what);
  assert.match(
    human.stderr,
    /^Error: /m,
    `${what}: human errors start with "Error: "\n${show(human)}`,
  );
  expectMatch(human.stderr, c.stderr, what);
  if (machine === null) return;
  const body = expectJsonError(machine, c.code, c.exit);
  for (const pattern of c.stderr) {
    // The JSON message (with its hint) carries the same information.
    const text = `${body.message} ${body.hint ?? ""}`;
    const ok = typeof pattern === "string" ? text.includes(pattern) : pattern.test(text);
    assert.ok(ok, `${what} --json: expected ${pattern} in ${JSON.stringify(body)}`);
  }
}

const validOpenai = { env: { OPENAI_API_KEY: openaiKey() } };

Deno.test("usage errors (unknown command or flag, missing argument, bad value) exit 2 with a suggestion and leave the vault unchanged", () =>
  withHome(async (h) => {
    await seed(h);
    const before = await vaultBytes(h.home);
    const usage = (args: string[], stderr: (RegExp | string)[], options?: RunOptions): Case => ({
      args,
      stderr,
      options,
      exit: 2,
      code: "usage",
    });
    const cases: Case[] = [
      usage(["lsit"], [/unknown command "lsit"/, /[Dd]id you mean "list"/]),
      usage(["expot", "openai"], [/unknown command "expot"/, /[Dd]id you mean "export"/]),
      usage(["list", "--jsno"], [/unknown flag "--jsno"/, /[Dd]id you mean "--json"/]),
      usage(["get", "openai", "--feild", "status"], [/unknown flag "--feild"/, /"--field"/]),
      usage(["login", "openai", "--forse"], [/unknown flag "--forse"/, /"--force"/], validOpenai),
      usage(["get"], [/missing argument <provider>/]),
      usage(["login"], [/missing argument <provider>/]),
      usage(["register"], [/missing argument <file>/]),
      usage(["completions"], [/missing argument <shell>/]),
      usage(["get", "openai", "--field"], [/--field/]),
      usage(["export", "--format", "xml"], [/xml/, /env/, /shell/, /json/]),
      usage(["log", "-n", "0"], [/-n/]),
      usage(["log", "-n", "many"], [/-n|--lines/]),
      usage(["get", "openai", "--connection", "../x"], [/connection name "\.\.\/x"/]),
      usage(["list", "--profile", "../x"], [/profile name "\.\.\/x"/]),
      usage(["list"], [/AUTHSOME_LOCK_TIMEOUT/], { env: { AUTHSOME_LOCK_TIMEOUT: "soon" } }),
      usage(["login", "openai", "--flow", "pkce"], [/api_key/], validOpenai),
    ];
    await Promise.all(cases.map((c) => check(h, c)));
    await expectVaultUnchanged(h.home, before, "usage errors");
  }));

Deno.test("an unknown provider exits 3 for every command that takes one, with a did-you-mean, vault unchanged", () =>
  withHome(async (h) => {
    await seed(h);
    const before = await vaultBytes(h.home);
    const notFound = (args: string[], stderr: (RegExp | string)[] = [/nosuch/]): Case => ({
      args,
      stderr,
      exit: 3,
      code: "provider_not_found",
      options: { stdin: "some-key" },
    });
    await Promise.all([
      notFound(["get", "nosuch"]),
      notFound(["get", "nosuch", "--field", "api_key"]),
      notFound(["login", "nosuch"]),
      notFound(["inspect", "githb"], [/githb/, /github/]),
      notFound(["export", "nosuch"]),
      notFound(["logout", "nosuch"]),
      notFound(["revoke", "nosuch"]),
      notFound(["remove", "opneai"], [/opneai/, /openai/]),
    ].map((c) => check(h, c)));
    await expectVaultUnchanged(h.home, before, "unknown provider");
  }));

Deno.test("register refuses malformed or unsafe provider files with exit 2, naming the problem, and installs nothing", () =>
  withHome(async (h) => {
    await seed(h);
    const before = await vaultBytes(h.home);
    const good = {
      schema_version: 1,
      name: "acme",
      display_name: "Acme",
      auth_type: "api_key",
      flow: "api_key",
      api_key: { header_name: "X-Key", header_prefix: "", env_var: "ACME_KEY" },
    };
    const files: [string, string, (RegExp | string)[]][] = [
      ["truncated.json", '{"schema_version": 1, "name": "acme"', [/not valid JSON/]],
      ["array.json", "[]", [/object/]],
      ["empty.json", "", [/not valid JSON|empty/]],
      ["no-auth-type.json", JSON.stringify({ ...good, auth_type: undefined }), [/auth_type/]],
      [
        "bad-regex.json",
        JSON.stringify({ ...good, api_key: { ...good.api_key, key_pattern: "(" } }),
        [/key_pattern/],
      ],
      ["dotdot.json", JSON.stringify({ ...good, name: "../x" }), [/name/, /\.\.\/x/]],
      ["slash.json", JSON.stringify({ ...good, name: "a/../../../evil" }), [/name/]],
      ["abs.json", JSON.stringify({ ...good, name: "/tmp/evil" }), [/name/]],
      [
        "http.json",
        JSON.stringify({
          ...good,
          auth_type: "oauth2",
          flow: "pkce",
          api_key: undefined,
          oauth: {
            authorization_url: "http://auth.example.com/a",
            token_url: "http://auth.example.com/t",
          },
        }),
        [/https/],
      ],
    ];
    await Promise.all(files.map(async ([name, content, stderr]) => {
      const path = await h.fixture(name, content);
      await check(h, { args: ["register", path], stderr, exit: 2, code: "invalid_provider" });
      await check(h, {
        args: ["register", path, "--force"],
        stderr,
        exit: 2,
        code: "invalid_provider",
      });
    }));
    const missing = await h.run(["register", `${h.dir}/does-not-exist.json`]);
    expectExit(missing, 2, "register a missing file");
    assert.match(missing.stderr, /does-not-exist\.json/);

    const installed: string[] = [];
    try {
      for await (const entry of Deno.readDir(h.path("providers"))) installed.push(entry.name);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
    assert.deepEqual(installed, [], "nothing installed under providers/");
    for (
      const path of [`${h.home}/x.json`, `${h.dir}/x.json`, "/tmp/evil.json", `${h.dir}/evil.json`]
    ) {
      await assert.rejects(Deno.stat(path), Deno.errors.NotFound, `${path} was written`);
    }
    const list = await h.ok(["list", "--json"]);
    assert.ok(!list.stdout.includes('"acme"'), "an invalid provider was registered");
    await expectVaultUnchanged(h.home, before, "register errors");
  }));

Deno.test("an API key failing its provider's pattern exits 4 with the hint, is not echoed, and keeps the stored key", () =>
  withHome(async (h) => {
    const { openai } = await seed(h);
    const before = await vaultBytes(h.home);
    const bad = "sk-short-NOT-A-KEY";
    const hint = "OpenAI API keys start with 'sk-'";
    const cases: Case[] = [
      {
        args: ["login", "openai", "--force"],
        options: { stdin: bad },
        exit: 4,
        code: "authentication_failed",
        stderr: [hint],
      },
      {
        args: ["login", "openai", "--force"],
        options: { env: { OPENAI_API_KEY: bad } },
        exit: 4,
        code: "authentication_failed",
        stderr: [hint],
      },
      {
        args: ["login", "openai", "--connection", "new"],
        options: { stdin: `${bad}\n` },
        exit: 4,
        code: "authentication_failed",
        stderr: [hint],
      },
      {
        args: ["login", "resend", "--connection", "two"],
        options: { stdin: bad },
        exit: 4,
        code: "authentication_failed",
        stderr: ["Resend API keys start with 're_'"],
      },
      {
        args: ["login", "sendgrid"],
        options: { stdin: bad },
        exit: 4,
        code: "authentication_failed",
        stderr: ["SG."],
      },
    ];
    await Promise.all(cases.map(async (c) => {
      await check(h, c);
      const again = await h.run(c.args, c.options);
      assert.ok(
        !again.stdout.includes(bad) && !again.stderr.includes(bad),
        `rejected key echoed\n${show(again)}`,
      );
    }));
    await expectVaultUnchanged(h.home, before, "bad key");
    assert.equal((await h.ok(["get", "openai", "--field", "api_key"])).stdout, `${openai}\n`);
    const [created, named] = await Promise.all([
      h.run(["get", "openai", "--connection", "new"]),
      h.run(["get", "sendgrid"]),
    ]);
    expectExit(created, 5, "a failed login stores nothing");
    expectExit(named, 5, "a failed login stores nothing");
  }));

Deno.test("an empty API key (piped, whitespace only, or an empty env var) exits 4 and stores nothing", () =>
  withHome(async (h) => {
    await seed(h);
    const before = await vaultBytes(h.home);
    const empty = (options: RunOptions, args = ["login", "hunter"]): Case => ({
      args,
      options,
      exit: 4,
      code: "authentication_failed",
      stderr: [/empty/],
    });
    await Promise.all([
      empty({ stdin: "" }),
      empty({ stdin: "   \n" }),
      empty({ stdin: "\n" }),
      empty({}),
      empty({ env: { OPENAI_API_KEY: "" } }, ["login", "openai", "--connection", "x"]),
    ].map((c) => check(h, c)));
    await expectVaultUnchanged(h.home, before, "empty key");
    expectExit(await h.run(["get", "hunter"]), 5, "nothing stored for hunter");
  }));

/** Corruptions of a vault file. */
const CORRUPTIONS: Record<string, (bytes: Uint8Array) => Uint8Array> = {
  "a flipped byte in the middle": (b) => flip(b, Math.floor(b.length / 2)),
  "a flipped last byte": (b) => flip(b, b.length - 1),
  "a flipped byte in the magic": (b) => flip(b, 0),
  "truncated to half": (b) => b.slice(0, Math.floor(b.length / 2)),
  "one byte short": (b) => b.slice(0, b.length - 1),
  "one byte too many": (b) => Uint8Array.from([...b, 0]),
  "zero-length": () => new Uint8Array(0),
  "random bytes of the same length": (b) => crypto.getRandomValues(new Uint8Array(b.length)),
  "a few random bytes": () => crypto.getRandomValues(new Uint8Array(40)),
};

function flip(bytes: Uint8Array, at: number): Uint8Array {
  const copy = bytes.slice();
  copy[at] ^= 0x10;
  return copy;
}

Deno.test("a corrupted vault (flipped byte, truncated, extended, zero-length, random bytes) exits 7 'corrupt' for reads and writes and is never overwritten", () =>
  withHome(async (h) => {
    await seed(h);
    const original = await Deno.readFile(h.path("vault.enc"));
    await Promise.all(
      Object.entries(CORRUPTIONS).map(async ([name, corrupt], i) => {
        const home = `${h.dir}/corrupt-${i}`;
        await cloneHome(h.home, home);
        await Deno.writeFile(`${home}/vault.enc`, corrupt(original));
        const before = await vaultBytes(home);
        const corruptCase = (args: string[], options: RunOptions = {}): Case => ({
          args,
          options: { ...options, home },
          exit: 7,
          code: "vault_corrupt",
          stderr: [/corrupt/i],
        });
        for (
          const [c, json] of [
            [corruptCase(["get", "openai", "--field", "api_key"]), true],
            [corruptCase(["login", "openai", "--force"], validOpenai), true],
            [corruptCase(["list"]), false],
            [corruptCase(["login", "hunter"], { stdin: "key" }), false],
            [corruptCase(["logout", "resend", "--connection", "ci"]), false],
            [corruptCase(["export"]), false],
            [corruptCase(["init"]), false],
          ] as const
        ) {
          try {
            await check(h, c, home, json);
          } catch (error) {
            throw new Error(`vault with ${name}: ${(error as Error).message}`);
          }
        }
        await expectVaultUnchanged(home, before, `vault with ${name}`);
        // Restoring the backup, as the hint says, brings the connections back.
        await Deno.copyFile(`${home}/vault.enc.bak`, `${home}/vault.enc`);
        expectExit(await h.run(["list"], { home }), 0, `${name}: restored backup`);
      }),
    );
  }));

Deno.test("a corrupt vault without a backup does not tell the user to restore a vault.enc.bak that does not exist", () =>
  withHome(async (h) => {
    await h.login("openai", openaiKey(), { envVar: "OPENAI_API_KEY" });
    await Deno.remove(h.path("vault.enc.bak")).catch(() => {});
    const bytes = await Deno.readFile(h.path("vault.enc"));
    await Deno.writeFile(h.path("vault.enc"), bytes.slice(0, 50));
    const [result, json] = await Promise.all([
      h.run(["get", "openai"]),
      h.run(["get", "openai", "--json"]),
    ]);
    expectExit(result, 7, "get on a truncated vault");
    assert.match(result.stderr, /corrupt/);
    assert.ok(
      !/vault\.enc\.bak/.test(result.stderr),
      `the hint points at a missing vault.enc.bak\n${show(result)}`,
    );
    const body = expectJsonError(json, "vault_corrupt", 7);
    assert.ok(!/vault\.enc\.bak/.test(body.hint ?? ""), JSON.stringify(body));
    await assert.rejects(Deno.stat(h.path("vault.enc.bak")), Deno.errors.NotFound);
  }));

Deno.test("the wrong key exits 7 'wrong key' (distinct from corruption) and names the key source the vault needs", () =>
  withHome(async (h) => {
    // A vault sealed with AUTHSOME_MASTER_KEY, opened with another valid key.
    const k1 = randomMasterKey();
    const envHome = `${h.dir}/env-home`;
    await h.ok(["login", "hunter"], {
      home: envHome,
      stdin: "k",
      env: { AUTHSOME_MASTER_KEY: k1 },
    });
    const envBefore = await vaultBytes(envHome);
    const other = { env: { AUTHSOME_MASTER_KEY: randomMasterKey() }, home: envHome, stdin: "k2" };
    const wrong = (args: string[], options: RunOptions, stderr: (RegExp | string)[]): Case => ({
      args,
      options,
      exit: 7,
      code: "wrong_key",
      stderr: [/wrong key/i, ...stderr],
    });
    await Promise.all([
      check(h, wrong(["get", "hunter"], other, ["AUTHSOME_MASTER_KEY"])),
      check(h, wrong(["login", "hunter", "--force"], other, ["AUTHSOME_MASTER_KEY"])),
    ]);
    // The same vault opened with no key at all says which key it needs, and makes no master.key.
    const noKey = await h.run(["get", "hunter"], { home: envHome });
    expectExit(noKey, 7, "env-key vault without the key");
    assert.match(noKey.stderr, /AUTHSOME_MASTER_KEY/);
    await assert.rejects(Deno.stat(`${envHome}/master.key`), Deno.errors.NotFound);
    await expectVaultUnchanged(envHome, envBefore, "env key vault");

    // A master.key vault whose key file was replaced by another valid key.
    await seed(h);
    const swapped = `${h.dir}/swapped`;
    await cloneHome(h.home, swapped);
    const replacement = randomMasterKey() + "\n";
    await Deno.writeTextFile(`${swapped}/master.key`, replacement);
    const swappedBefore = await vaultBytes(swapped);
    await Promise.all([
      check(h, wrong(["get", "openai"], { home: swapped }, ["master.key"])),
      check(
        h,
        wrong(["login", "openai", "--force"], { ...validOpenai, home: swapped }, ["master.key"]),
      ),
    ]);
    await expectVaultUnchanged(swapped, swappedBefore, "swapped master.key");
    assert.equal(
      await Deno.readTextFile(`${swapped}/master.key`),
      replacement,
      "master.key rewritten",
    );

    // A master.key vault opened while AUTHSOME_MASTER_KEY holds another key: the fix is to unset it.
    const before = await vaultBytes(h.home);
    const stray = await h.run(["get", "openai"], {
      env: { AUTHSOME_MASTER_KEY: randomMasterKey() },
    });
    expectExit(stray, 7, "master.key vault with a stray AUTHSOME_MASTER_KEY");
    expectMatch(stray.stderr, ["master.key", /unset AUTHSOME_MASTER_KEY/], "stray env key");
    await expectVaultUnchanged(h.home, before, "stray env key");
  }));

Deno.test("a key file or vault readable by group or others exits 7 with the chmod 600 fix", () =>
  withHome(async (h) => {
    await seed(h);
    const cases: [string, number][] = [
      ["master.key", 0o644],
      ["master.key", 0o640],
      ["master.key", 0o604],
      ["vault.enc", 0o644],
    ];
    await Promise.all(cases.map(async ([file, mode], i) => {
      const home = `${h.dir}/perm-${i}`;
      await cloneHome(h.home, home);
      await Deno.chmod(`${home}/${file}`, mode);
      const before = await vaultBytes(home);
      const unsafe = (args: string[], options: RunOptions = {}): Case => ({
        args,
        options: { ...options, home },
        exit: 7,
        code: "unsafe_permissions",
        stderr: [`chmod 600 ${home}/${file}`],
      });
      try {
        await check(h, unsafe(["get", "openai", "--field", "api_key"]), home);
        await check(h, unsafe(["login", "openai", "--force"], validOpenai), home);
        await check(h, unsafe(["list"]), home);
      } catch (error) {
        throw new Error(`${file} mode ${mode.toString(8)}: ${(error as Error).message}`);
      }
      await expectVaultUnchanged(home, before, `${file} ${mode.toString(8)}`);
    }));
  }));

Deno.test("a vault locked by another process makes writers exit 7 'locked' after AUTHSOME_LOCK_TIMEOUT; readers still work; the write succeeds once released", () =>
  withHome(async (h) => {
    const { openai } = await seed(h);
    const before = await vaultBytes(h.home);
    const env = { AUTHSOME_LOCK_TIMEOUT: "1", OPENAI_API_KEY: openaiKey() };
    const locked = (args: string[], stdin?: string): Case => ({
      args,
      options: { env, stdin },
      exit: 7,
      code: "vault_locked",
      stderr: [/locked/, "vault.lock"],
    });
    {
      await using _lock = await holdLock(h.path("vault.lock"));
      const started = Date.now();
      await Promise.all([
        check(h, locked(["login", "openai", "--connection", "second"])),
        check(h, locked(["login", "hunter"], "hunter-key")),
        check(h, locked(["logout", "resend", "--connection", "ci"])),
        check(h, locked(["revoke", "openai"])),
      ]);
      const elapsed = Date.now() - started;
      assert.ok(elapsed >= 900, `gave up after ${elapsed} ms, before the 1 s deadline`);
      assert.ok(elapsed < 8000, `took ${elapsed} ms for a 1 s deadline`);
      const read = await h.run(["get", "openai", "--field", "api_key"], { env });
      expectExit(read, 0, "get while the vault is locked");
      assert.equal(read.stdout, `${openai}\n`);
      await expectVaultUnchanged(h.home, before, "locked vault");
    }
    await h.ok(["login", "openai", "--connection", "second"], { env });
    await h.ok(["get", "openai", "--connection", "second"]);
  }));

Deno.test("an unusable home (its parent is a file, it is a file, or read-only) exits 7 with the fix for every command", () =>
  withHome(async (h) => {
    await h.fixture("file", "not a directory");
    const homes = [`${h.dir}/file/home`, `${h.dir}/file`];
    const commands: { args: string[]; options?: RunOptions }[] = [
      { args: ["init"] },
      { args: ["list"] },
      { args: ["whoami"] },
      { args: ["get", "openai"] },
      { args: ["export"] },
      { args: ["login", "openai"], options: validOpenai },
      { args: ["login", "hunter"], options: { stdin: "key" } },
    ];
    const results: CliResult[] = [];
    await Promise.all(homes.flatMap((home) =>
      commands.map(async ({ args, options }) => {
        const c: Case = {
          args,
          // HOME stays usable: only AUTHSOME_HOME is broken.
          options: { ...options, home, env: { ...options?.env, HOME: `${h.dir}/user` } },
          exit: 7,
          code: "home_unavailable",
          stderr: [home, "AUTHSOME_HOME"],
        };
        try {
          await check(h, c, home);
        } catch (error) {
          throw new Error(`AUTHSOME_HOME=${home}: ${(error as Error).message}`);
        }
        results.push(await h.run(args, c.options));
      })
    ));
    for (const r of results) {
      assert.ok(!/unexpected/i.test(r.stderr), `an unusable home is not "unexpected"\n${show(r)}`);
    }
    assert.equal(await Deno.readTextFile(`${h.dir}/file`), "not a directory");
  }));

Deno.test({
  name: "a home under a read-only directory exits 7 (skipped as root, who can write anywhere)",
  ignore: isRoot(),
  fn: () =>
    withHome(async (h) => {
      const parent = `${h.dir}/readonly`;
      await Deno.mkdir(parent);
      await Deno.chmod(parent, 0o555);
      try {
        await check(h, {
          args: ["init"],
          options: { home: `${parent}/home` },
          exit: 7,
          code: "home_unavailable",
          stderr: ["AUTHSOME_HOME"],
        }, `${parent}/home`);
      } finally {
        await Deno.chmod(parent, 0o755);
      }
    }),
});

Deno.test("an API key containing a newline or other control characters is refused with exit 4, so export cannot emit extra lines", () =>
  withHome(async (h) => {
    await seed(h);
    const before = await vaultBytes(h.home);
    let n = 0;
    const control = (stdin: string): Case => ({
      // Each its own connection, with --force: one accepted key must not mask the others.
      args: ["login", "hunter", "--connection", `c${n++}`, "--force"],
      options: { stdin },
      exit: 4,
      code: "authentication_failed",
      stderr: [/API key/],
    });
    await Promise.all([
      control("abc\nEVIL=1"),
      control("abc\rdef"),
      control("abc\x1b[2Jdef"),
      control("abc\x00def"),
    ].map((c) => check(h, c)));
    await expectVaultUnchanged(h.home, before, "control characters");
    const exported = await h.ok(["export"]);
    assert.ok(
      !/^EVIL=/m.test(exported.stdout),
      `export emitted an injected line\n${show(exported)}`,
    );
  }));

Deno.test("--quiet still prints errors on stderr (it silences only progress and success text)", () =>
  withHome(async (h) => {
    await seed(h);
    const cases: [string[], number, RegExp][] = [
      [["lsit", "--quiet"], 2, /unknown command "lsit"/],
      [["get", "nosuch", "--quiet"], 3, /nosuch/],
      [["get", "openai", "--connection", "nope", "--quiet"], 5, /no connection "nope"/],
      [["login", "openai", "--connection", "x", "--quiet"], 4, /OpenAI/],
    ];
    await Promise.all(cases.map(async ([args, exit, pattern]) => {
      const result = await h.run(args, { stdin: "bad" });
      expectExit(result, exit, args.join(" "));
      assert.equal(result.stdout, "", show(result));
      assert.match(
        result.stderr,
        /^Error: /m,
        `${args.join(" ")}: error silenced\n${show(result)}`,
      );
      assert.match(result.stderr, pattern, show(result));
    }));
  }));
