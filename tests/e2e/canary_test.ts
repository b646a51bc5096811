/**
 * End-to-end canary test: log in with planted secrets, run every command (with and without
 * `--verbose`, succeeding and failing), then prove that no secret reached stdout/stderr (except
 * where the user asked for it: `get --show-secret`, `get --field <secret>`, `export`) or any file
 * under the home other than the encrypted vault.
 */
import assert from "node:assert/strict";
import {
  type CliResult,
  expectExit,
  plantOAuth,
  randomAlnum,
  readTree,
  show,
  withHome,
} from "./_helpers.ts";

interface Canary {
  name: string;
  value: string;
}

function canary(name: string, prefix: string, suffix = ""): Canary {
  return { name, value: `${prefix}CANARY${randomAlnum(28)}${suffix}` };
}

/** The byte forms a leak could take: raw, JSON-escaped, base64, and the random core alone. */
function forms(value: string): string[] {
  const core = value.match(/CANARY([A-Za-z0-9]{28})/)?.[1] ?? value;
  const middle = Math.floor(core.length / 2);
  return [
    value,
    JSON.stringify(value).slice(1, -1),
    btoa(String.fromCharCode(...new TextEncoder().encode(value))),
    core.slice(middle - 8, middle + 8),
  ];
}

function leaks(text: string, canaries: Canary[]): string[] {
  return canaries.filter((c) => forms(c.value).some((f) => text.includes(f))).map((c) => c.name);
}

Deno.test("no planted secret appears in any output (unless asked for) nor in any file under the home but the encrypted vault", () =>
  withHome(async (h) => {
    const openai = canary("openai api key (env)", "sk-");
    const openaiWork = canary("openai api key (stdin)", "sk-");
    const resend = canary("resend api key (stdin)", "re_");
    const sendgrid = canary("sendgrid api key (env)", "SG.", `.${randomAlnum(20)}`);
    const hunter = canary("hunter api key with shell characters", `it's "$(x)" \`y\` \\ `);
    const access = canary("github access token", "gho_");
    const refresh = canary("github refresh token", "ghr_");
    const clientSecret = canary("github client secret", "cs_");
    const rejected = canary("rejected openai key", "sk-", "!");
    const rejectedEnv = canary("rejected resend key", "re-");
    const stored = [openai, openaiWork, resend, sendgrid, hunter, access, refresh, clientSecret];
    const all = [...stored, rejected, rejectedEnv];
    const customLog = `${h.home}/custom-debug.log`;

    const logins: [string[], { env?: Record<string, string>; stdin?: string }][] = [
      [["login", "openai", "--verbose"], { env: { OPENAI_API_KEY: openai.value } }],
      [["login", "openai", "--connection", "work", "--verbose"], {
        stdin: `${openaiWork.value}\n`,
      }],
      [["login", "resend", "--connection", "ci"], { stdin: resend.value }],
      [["login", "sendgrid", "--json", "--verbose"], { env: { SENDGRID_API_KEY: sendgrid.value } }],
      [["login", "hunter", "--profile", "work", "--verbose"], { stdin: hunter.value }],
    ];
    const results: { args: string[]; result: CliResult }[] = [];
    for (const [args, options] of logins) {
      const result = await h.run(args, options);
      expectExit(result, 0, args.join(" "));
      results.push({ args, result });
    }
    await plantOAuth(h.home, [{
      provider: "github",
      accessToken: access.value,
      refreshToken: refresh.value,
      clientId: "canary-client-id",
      clientSecret: clientSecret.value,
      scopes: ["repo"],
    }]);
    const masterKey: Canary = {
      name: "master key",
      value: (await Deno.readTextFile(h.path("master.key"))).trim(),
    };

    // Commands that must not reveal anything, succeeding or failing, quiet or verbose.
    const quietCommands: {
      args: string[];
      stdin?: string;
      env?: Record<string, string>;
      exit: number;
    }[] = [
      { args: ["init"], exit: 0 },
      { args: ["list"], exit: 0 },
      { args: ["list", "--json"], exit: 0 },
      { args: ["list", "--profile", "work"], exit: 0 },
      { args: ["inspect", "openai"], exit: 0 },
      { args: ["inspect", "github", "--json"], exit: 0 },
      { args: ["inspect", "hunter", "--profile", "work"], exit: 0 },
      { args: ["get", "openai"], exit: 0 },
      { args: ["get", "openai", "--json"], exit: 0 },
      { args: ["get", "github"], exit: 0 },
      { args: ["get", "github", "--json"], exit: 0 },
      { args: ["get", "github", "--field", "status"], exit: 0 },
      { args: ["get", "github", "--field", "expires_at"], exit: 0 },
      { args: ["get", "github", "--field", "scopes", "--json"], exit: 0 },
      { args: ["get", "hunter", "--profile", "work"], exit: 0 },
      { args: ["whoami"], exit: 0 },
      { args: ["whoami", "--json"], exit: 0 },
      { args: ["doctor"], exit: 0 },
      { args: ["doctor", "--json"], exit: 0 },
      { args: ["log"], exit: 0 },
      { args: ["log", "--json", "-n", "500"], exit: 0 },
      { args: ["log", "--raw", "-n", "1000"], exit: 0 },
      { args: ["completions", "bash"], exit: 0 },
      { args: ["login", "openai"], env: { OPENAI_API_KEY: openai.value }, exit: 0 },
      { args: ["login", "resend", "--connection", "ci", "--json"], stdin: resend.value, exit: 0 },
      { args: ["login", "openai", "--connection", "bad"], stdin: rejected.value, exit: 4 },
      {
        args: ["login", "resend", "--force", "--json"],
        env: { RESEND_API_KEY: rejectedEnv.value },
        exit: 4,
      },
      { args: ["login", "github", "--flow", "api_key"], stdin: rejected.value, exit: 2 },
      { args: ["get", "nosuch"], exit: 3 },
      { args: ["get", "openai", "--connection", "nope"], exit: 5 },
      { args: ["get", "openai", "--field", "colour"], exit: 2 },
      { args: ["export", "nosuch"], exit: 3 },
      { args: ["lsit"], exit: 2 },
      { args: ["get", "openai", "--log-file", customLog], exit: 0 },
      { args: ["get", "openai", "--connection", "nope", "--log-file", customLog], exit: 5 },
      {
        args: ["login", "openai", "--connection", "bad2", "--log-file", customLog],
        stdin: rejected.value,
        exit: 4,
      },
      {
        args: ["login", "sendgrid", "--force", "--log-file", customLog],
        env: { SENDGRID_API_KEY: sendgrid.value },
        exit: 0,
      },
      { args: ["get", "openai", "--log-file", ""], exit: 0 },
    ];
    const runs = quietCommands.flatMap((c) => [c, { ...c, args: [...c.args, "--verbose"] }]);
    const quietResults = await Promise.all(runs.map(async (c) => {
      const result = await h.run(c.args, { env: c.env, stdin: c.stdin });
      expectExit(result, c.exit, c.args.join(" "));
      return { args: c.args, result };
    }));
    results.push(...quietResults);
    for (const { args, result } of results) {
      const found = leaks(result.stdout + result.stderr, [...all, masterKey]);
      assert.deepEqual(found, [], `authsome ${args.join(" ")} leaked ${found}\n${show(result)}`);
    }

    // Commands asked for a secret print exactly that one on stdout, and none on stderr.
    const revealing: { args: string[]; reveals: Canary[] }[] = [
      { args: ["get", "openai", "--field", "api_key"], reveals: [openai] },
      {
        args: ["get", "openai", "--connection", "work", "--field", "api_key"],
        reveals: [openaiWork],
      },
      { args: ["get", "github", "--field", "access_token"], reveals: [access] },
      { args: ["get", "openai", "--show-secret"], reveals: [openai] },
      { args: ["get", "github", "--show-secret", "--json"], reveals: [access, refresh] },
      { args: ["get", "hunter", "--profile", "work", "--field", "api_key"], reveals: [hunter] },
      { args: ["export", "openai"], reveals: [openai] },
      { args: ["export", "github", "--format", "shell"], reveals: [access] },
      {
        args: ["export", "--format", "json"],
        reveals: [openai, openaiWork, resend, sendgrid, access],
      },
      { args: ["export", "--profile", "work"], reveals: [hunter] },
    ];
    await Promise.all(
      revealing.flatMap((c) => [c, { ...c, args: [...c.args, "--verbose"] }]).map(async (c) => {
        const result = await h.run(c.args);
        expectExit(result, 0, c.args.join(" "));
        const what = `authsome ${c.args.join(" ")}`;
        assert.deepEqual(
          leaks(result.stdout, [...all, masterKey]).sort(),
          c.reveals.map((r) => r.name).sort(),
          `${what} must print exactly what it was asked for\n${show(result)}`,
        );
        assert.deepEqual(
          leaks(result.stderr, [...all, masterKey]),
          [],
          `${what}: secret on stderr\n${show(result)}`,
        );
      }),
    );

    // Changes, verbose: logout, revoke (drops the client secret), remove.
    for (
      const args of [
        ["logout", "openai", "--connection", "work", "--verbose"],
        ["revoke", "github", "--verbose"],
        ["remove", "resend", "--verbose", "--json"],
        ["login", "openai", "--force", "--verbose"],
      ]
    ) {
      const result = await h.run(args, { env: { OPENAI_API_KEY: openai.value } });
      expectExit(result, 0, args.join(" "));
      const found = leaks(result.stdout + result.stderr, [...all, masterKey]);
      assert.deepEqual(found, [], `authsome ${args.join(" ")} leaked ${found}\n${show(result)}`);
    }

    // Every file under the home: only the vault (encrypted) may hold the secrets.
    const tree = await readTree(h.home);
    const names = [...tree.keys()].map((path) => path.slice(h.home.length + 1));
    for (const expected of ["audit.log", "logs/authsome.log", "custom-debug.log", "vault.enc"]) {
      assert.ok(names.includes(expected), `${expected} exists (files: ${names})`);
    }
    const decoder = new TextDecoder("utf-8", { fatal: false });
    for (const [path, bytes] of tree) {
      const name = path.slice(h.home.length + 1);
      const text = decoder.decode(bytes);
      // The vault is encrypted: not even it may hold a secret in the clear.
      const found = leaks(text, name === "master.key" ? all : [...all, masterKey]);
      assert.deepEqual(found, [], `${name} holds ${found}`);
    }
    const audit = await Deno.readTextFile(h.path("audit.log"));
    assert.ok(audit.split("\n").filter(Boolean).length >= 10, "the audit log recorded the run");
    const debug = await Deno.readTextFile(h.path("logs/authsome.log"));
    assert.ok(debug.length > 0, "the debug log recorded the run");
  }));

Deno.test("AUTHSOME_PASSPHRASE and AUTHSOME_MASTER_KEY never appear in any output or file, even when wrong or verbose", () =>
  withHome(async (h) => {
    const passphrase = canary("passphrase", "pass phrase ");
    const masterKey: Canary = {
      name: "AUTHSOME_MASTER_KEY",
      value: btoa(`CANARY${randomAlnum(26)}`),
    };
    const wrongPassphrase = canary("wrong passphrase", "");
    const key = canary("hunter key", "");
    const secrets = [passphrase, masterKey, wrongPassphrase, key];
    const passHome = `${h.dir}/pass-home`;
    const keyHome = `${h.dir}/key-home`;
    const pass = { AUTHSOME_PASSPHRASE: passphrase.value };
    const env = { AUTHSOME_MASTER_KEY: masterKey.value };
    const results: { args: string[]; result: CliResult }[] = [];
    const run = async (args: string[], home: string, e: Record<string, string>, exit: number) => {
      const result = await h.run(args, { home, env: e, stdin: key.value });
      expectExit(result, exit, args.join(" "));
      results.push({ args, result });
    };
    await Promise.all([
      run(["login", "hunter", "--verbose"], passHome, pass, 0),
      run(["login", "hunter", "--verbose"], keyHome, env, 0),
    ]);
    await Promise.all([
      run(["get", "hunter", "--verbose"], passHome, pass, 0),
      run(["whoami", "--verbose"], passHome, pass, 0),
      run(["doctor", "--json", "--verbose"], passHome, pass, 0),
      run(
        ["get", "hunter", "--verbose"],
        passHome,
        { AUTHSOME_PASSPHRASE: wrongPassphrase.value },
        7,
      ),
      run(["get", "hunter", "--verbose"], keyHome, env, 0),
      run(["doctor", "--verbose"], keyHome, env, 0),
      run(["get", "hunter", "--verbose", "--json"], keyHome, {
        AUTHSOME_MASTER_KEY: btoa("x".repeat(32)),
      }, 7),
      run(
        ["get", "hunter", "--verbose"],
        keyHome,
        { AUTHSOME_MASTER_KEY: `${masterKey.value}x` },
        7,
      ),
    ]);
    for (const { args, result } of results) {
      const found = leaks(result.stdout + result.stderr, secrets);
      assert.deepEqual(found, [], `authsome ${args.join(" ")} leaked ${found}\n${show(result)}`);
    }
    for (const home of [passHome, keyHome]) {
      for (const [path, bytes] of await readTree(home)) {
        const found = leaks(new TextDecoder().decode(bytes), secrets);
        assert.deepEqual(found, [], `${path} holds ${found}`);
      }
    }
  }));
