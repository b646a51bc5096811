/**
 * End-to-end: every command of the foundation issue, run as the real CLI against a temporary
 * AUTHSOME_HOME, in human and `--json` modes, checking stdout, stderr and the exit code.
 */
import assert from "node:assert/strict";
import {
  type CliResult,
  expectExit,
  expectMatch,
  findPython,
  openaiKey,
  plantOAuth,
  randomAlnum,
  resendKey,
  runShell,
  show,
  stdoutJson,
  withHome,
} from "./_helpers.ts";

const BUNDLED_PROVIDERS = 44;
const RFC3339_UTC = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;

function modeOf(path: string): number {
  return Deno.statSync(path).mode! & 0o777;
}

function assertNoSecret(result: CliResult, secrets: string[], what: string): void {
  for (const secret of secrets) {
    assert.ok(!result.stdout.includes(secret), `${what}: secret on stdout\n${show(result)}`);
    assert.ok(!result.stderr.includes(secret), `${what}: secret on stderr\n${show(result)}`);
  }
}

/** Parses `env -0` output. */
function parseEnv0(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of text.split("\0")) {
    const eq = item.indexOf("=");
    if (eq > 0) out[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return out;
}

function commandExists(name: string): boolean {
  try {
    return new Deno.Command("sh", { args: ["-c", `command -v ${name}`], stdout: "null" })
      .outputSync().success;
  } catch {
    return false;
  }
}

Deno.test("init creates a private home with master.key, vault.enc and config.json, and a second init changes nothing", () =>
  withHome(async (h) => {
    const first = await h.ok(["init"]);
    expectMatch(first.stdout, [`Initialized authsome at ${h.home}`, "master.key"], "init");
    assert.equal(first.stderr, "", show(first));
    assert.equal(modeOf(h.home), 0o700, "home must be 0700");
    for (const file of ["master.key", "vault.enc", "config.json"]) {
      assert.equal(modeOf(h.path(file)), 0o600, `${file} must be 0600`);
    }
    const key = atob((await Deno.readTextFile(h.path("master.key"))).trim());
    assert.equal(key.length, 32, "master.key holds base64 of 32 bytes");
    const config = JSON.parse(await Deno.readTextFile(h.path("config.json")));
    assert.equal(typeof config.format_version, "number");

    const vaultBefore = await Deno.readFile(h.path("vault.enc"));
    const [again, json] = await Promise.all([h.ok(["init"]), h.ok(["init", "--json"])]);
    expectMatch(again.stdout, ["already initialized", h.home], "second init");
    const body = stdoutJson(json);
    assert.equal(body.status, "already_initialized");
    assert.equal(body.home, h.home);
    assert.match(String(body.key_source), /master\.key/);
    assert.deepEqual(await Deno.readFile(h.path("vault.enc")), vaultBefore, "init rewrote vault");
  }));

Deno.test("init --json with AUTHSOME_MASTER_KEY reports the env key source and writes no master.key", () =>
  withHome(async (h) => {
    const env = { AUTHSOME_MASTER_KEY: btoa("k".repeat(32)) };
    const body = stdoutJson(await h.ok(["init", "--json"], { env }));
    assert.equal(body.status, "initialized");
    assert.match(String(body.key_source), /AUTHSOME_MASTER_KEY/);
    await assert.rejects(Deno.stat(h.path("master.key")), Deno.errors.NotFound);
    const who = stdoutJson(await h.ok(["whoami", "--json"], { env }));
    assert.match(String(who.key_source), /AUTHSOME_MASTER_KEY/);
  }));

Deno.test("whoami shows home, profile, version, key source and the connected providers", () =>
  withHome(async (h) => {
    const key = openaiKey();
    await h.login("openai", key, { envVar: "OPENAI_API_KEY" });
    const [human, json, work, version] = await Promise.all([
      h.ok(["whoami"]),
      h.ok(["whoami", "--json"]),
      h.ok(["whoami", "--json", "--profile", "work"]),
      h.ok(["--version"]),
    ]);
    const versionText = version.stdout.trim().replace(/^authsome /, "");
    expectMatch(human.stdout, [
      new RegExp(`Home Directory:\\s+${h.home}\\n`),
      /Active Profile:\s+default\n/,
      new RegExp(`Authsome Version:\\s+${versionText.replaceAll(".", "\\.")}\\n`),
      /Key Source:\s+.*master\.key/,
      /Connected Providers:\s+1\n/,
      /- openai/,
    ], "whoami");
    const body = stdoutJson(json);
    assert.equal(body.schema_version, 1);
    assert.equal(body.home_directory, h.home);
    assert.equal(body.active_profile, "default");
    assert.equal(body.authsome_version, versionText);
    assert.equal(body.connected_providers_count, 1);
    assert.deepEqual(body.connected_providers, ["openai"]);
    const other = stdoutJson(work);
    assert.equal(other.active_profile, "work");
    assert.equal(other.connected_providers_count, 0);
    assertNoSecret(human, [key], "whoami");
  }));

Deno.test("login stores an API key from the provider's environment variable or from piped stdin, and never echoes it", () =>
  withHome(async (h) => {
    const envKey = openaiKey();
    const stdinKey = resendKey();
    const viaEnv = await h.run(["login", "openai"], { env: { OPENAI_API_KEY: envKey } });
    expectExit(viaEnv, 0, "login openai");
    assert.match(viaEnv.stdout, /Successfully logged in to openai \(default\)/);
    assert.match(viaEnv.stderr, /\$OPENAI_API_KEY/, "says where the key came from");
    const viaStdin = await h.run(["login", "resend", "--connection", "ci", "--json"], {
      stdin: `${stdinKey}\n`,
    });
    expectExit(viaStdin, 0, "login resend");
    const body = stdoutJson(viaStdin);
    assert.equal(body.status, "success");
    assert.equal(body.provider, "resend");
    assert.equal(body.connection, "ci");
    assertNoSecret(viaEnv, [envKey], "login via env");
    assertNoSecret(viaStdin, [stdinKey], "login via stdin");

    // The environment variable wins over standard input.
    const hunterEnv = randomAlnum(24);
    const hunterStdin = randomAlnum(24);
    await h.ok(["login", "hunter"], { env: { HUNTER_API_KEY: hunterEnv }, stdin: hunterStdin });

    const [a, b, c] = await Promise.all([
      h.ok(["get", "openai", "--field", "api_key"]),
      h.ok(["get", "resend", "--connection", "ci", "--field", "api_key"]),
      h.ok(["get", "hunter", "--field", "api_key"]),
    ]);
    assert.equal(a.stdout, `${envKey}\n`);
    assert.equal(
      b.stdout,
      `${stdinKey}\n`,
      "the trailing newline of piped input is not part of the key",
    );
    assert.equal(c.stdout, `${hunterEnv}\n`);
    assert.equal(modeOf(h.path("vault.enc")), 0o600);
  }));

Deno.test("login keeps an existing connection ('already logged in') unless --force replaces it", () =>
  withHome(async (h) => {
    const first = openaiKey();
    const second = openaiKey();
    await h.login("openai", first, { envVar: "OPENAI_API_KEY" });
    const env = { OPENAI_API_KEY: second };
    const [again, againJson] = await Promise.all([
      h.run(["login", "openai"], { env }),
      h.run(["login", "openai", "--json"], { env }),
    ]);
    expectExit(again, 0, "second login");
    expectMatch(again.stdout + again.stderr, [
      /Already logged in to openai \(default\)/,
      "authsome login openai --force",
    ], "second login");
    expectExit(againJson, 0, "second login --json");
    assert.equal(stdoutJson(againJson).status, "already_connected");
    assert.equal((await h.ok(["get", "openai", "--field", "api_key"])).stdout, `${first}\n`);

    const forced = await h.run(["login", "openai", "--force"], { env });
    expectExit(forced, 0, "login --force");
    assert.match(forced.stdout, /Successfully logged in to openai \(default\)/);
    assert.equal((await h.ok(["get", "openai", "--field", "api_key"])).stdout, `${second}\n`);
    assertNoSecret(forced, [first, second], "login --force");
  }));

Deno.test("list shows every bundled provider with each connection's status, as a table and as JSON", () =>
  withHome(async (h) => {
    const keys = [openaiKey(), openaiKey(), resendKey()];
    await h.login("openai", keys[0], { envVar: "OPENAI_API_KEY" });
    await Promise.all([
      h.login("openai", keys[1], { connection: "work" }),
      h.login("resend", keys[2], { connection: "ci" }),
    ]);
    const [human, json] = await Promise.all([h.ok(["list"]), h.ok(["list", "--json"])]);
    expectMatch(human.stdout, [
      new RegExp(`Providers: ${BUNDLED_PROVIDERS} total, 2 connected`),
      /\[openai\].*\bdefault\s+connected/,
      /\[openai\].*\bwork\s+connected/,
      /\[resend\].*\bci\s+connected/,
      /\[github\].*not_connected/,
    ], "list");
    const body = stdoutJson<{
      schema_version: number;
      profile: string;
      providers: {
        name: string;
        auth_type: string;
        source: string;
        connections: { connection_name: string; status: string; auth_type: string }[];
      }[];
    }>(json);
    assert.equal(body.schema_version, 1);
    assert.equal(body.profile, "default");
    assert.equal(body.providers.length, BUNDLED_PROVIDERS);
    assert.equal(new Set(body.providers.map((p) => p.name)).size, BUNDLED_PROVIDERS);
    for (const p of body.providers) {
      assert.ok(["oauth2", "api_key"].includes(p.auth_type), p.name);
      assert.equal(p.source, "bundled");
    }
    const openai = body.providers.find((p) => p.name === "openai")!;
    assert.deepEqual(openai.connections.map((c) => c.connection_name).sort(), ["default", "work"]);
    assert.ok(
      openai.connections.every((c) => c.status === "connected" && c.auth_type === "api_key"),
    );
    assert.deepEqual(body.providers.find((p) => p.name === "github")!.connections, []);
    assertNoSecret(human, keys, "list");
    assertNoSecret(json, keys, "list --json");
  }));

Deno.test("inspect shows the provider definition and its connections with secrets redacted", () =>
  withHome(async (h) => {
    const key = openaiKey();
    await h.login("openai", key, { envVar: "OPENAI_API_KEY" });
    const [human, json, github, missing] = await Promise.all([
      h.ok(["inspect", "openai"]),
      h.ok(["inspect", "openai", "--json"]),
      h.ok(["inspect", "github", "--json"]),
      h.run(["inspect", "githb"]),
    ]);
    expectMatch(human.stdout, [
      /^OpenAI \[openai\], bundled, api_key$/m,
      /^ {2}header +Authorization: Bearer <key>$/m,
      /^ {2}key from +\$OPENAI_API_KEY, else asked at login$/m,
      /^ {2}host +api\.openai\.com$/m,
      /^default +connected +\[redacted\] +-$/m,
      "authsome inspect openai --json",
    ], "inspect");
    const githubHuman = await h.ok(["inspect", "github"]);
    expectMatch(githubHuman.stdout, [
      /^ {2}flows +pkce, device_code$/m,
      /^ {2}token +https:\/\/github\.com\/login\/oauth\/access_token$/m,
      /login reads \$GITHUB_CLIENT_ID and \$GITHUB_CLIENT_SECRET/,
      // export never prints a refresh token, so inspect does not promise one.
      /^ {2}exported as +GITHUB_ACCESS_TOKEN$/m,
      /^No connections in profile "default"\. Log in: authsome login github$/m,
    ], "inspect github");
    const body = stdoutJson<{
      definition: { name: string; api_key: { env_var: string } };
      connections: Record<string, unknown>[];
    }>(json);
    assert.equal(body.definition.name, "openai");
    assert.equal(body.definition.api_key.env_var, "OPENAI_API_KEY");
    assert.equal(body.connections.length, 1);
    assert.equal(body.connections[0].connection_name, "default");
    assert.equal(body.connections[0].api_key, "[redacted]");
    const gh = stdoutJson<{
      definition: { auth_type: string; oauth: { base_url: string; token_url: string } };
      connections: unknown[];
    }>(github);
    assert.equal(gh.definition.auth_type, "oauth2");
    assert.equal(gh.definition.oauth.base_url, "https://github.com");
    assert.match(gh.definition.oauth.token_url, /access_token$/);
    assert.deepEqual(gh.connections, []);
    expectExit(missing, 3, "inspect githb");
    expectMatch(missing.stderr, [/^Error: .*githb/m, /github/], "inspect githb suggests github");
    assertNoSecret(human, [key], "inspect");
    assertNoSecret(json, [key], "inspect --json");
  }));

Deno.test("register installs a custom provider usable by login/list/inspect; --force overwrites or shadows a bundled one; remove deletes it", () =>
  withHome(async (h) => {
    const definition = {
      schema_version: 1,
      name: "acme-keys",
      display_name: "Acme Keys",
      auth_type: "api_key",
      flow: "api_key",
      api_key: {
        header_name: "X-Acme-Key",
        header_prefix: "",
        env_var: "ACME_API_KEY",
        key_pattern: "^ak_[a-z0-9]{8,}$",
        key_pattern_hint: "Acme keys start with ak_ and 8 lower-case letters or digits.",
      },
      host_url: "api.acme.example",
      export: { env: { api_key: "ACME_API_KEY" } },
    };
    const file = await h.fixture("acme.json", JSON.stringify(definition));
    const registered = await h.ok(["register", file]);
    assert.match(registered.stdout, /Provider acme-keys registered/);
    await Deno.stat(h.path("providers/acme-keys.json"));
    const again = await h.run(["register", file]);
    expectExit(again, 2, "register twice");
    expectMatch(again.stderr, [/^Error: .*acme-keys/m, "--force"], "register twice");
    const forced = stdoutJson(await h.ok(["register", file, "--force", "--json"]));
    assert.deepEqual(forced, {
      status: "registered",
      provider: "acme-keys",
      overrides_bundled: false,
    });

    const key = "ak_" + randomAlnum(12).toLowerCase();
    await h.login("acme-keys", key, { envVar: "ACME_API_KEY" });
    const [list, inspect, bad, exported] = await Promise.all([
      h.ok(["list", "--json"]),
      h.ok(["inspect", "acme-keys", "--json"]),
      h.run(["login", "acme-keys", "--connection", "b"], { stdin: "AK-WRONG" }),
      h.ok(["export", "acme-keys"]),
    ]);
    const entry = stdoutJson<
      { providers: { name: string; source: string; connections: unknown[] }[] }
    >(
      list,
    ).providers.find((p) => p.name === "acme-keys");
    assert.equal(entry?.source, "custom");
    assert.equal(entry?.connections.length, 1);
    assert.equal(stdoutJson(inspect).source, "custom");
    expectExit(bad, 4, "bad key for the custom provider");
    assert.match(bad.stderr, /Acme keys start with ak_/);
    assert.equal(exported.stdout, `ACME_API_KEY=${key}\n`);

    const removed = stdoutJson(await h.ok(["remove", "acme-keys", "--json"]));
    assert.equal(removed.status, "removed");
    assert.equal(removed.custom_definition_removed, true);
    assert.equal(removed.connections, 1);
    await assert.rejects(Deno.stat(h.path("providers/acme-keys.json")), Deno.errors.NotFound);
    const [gone, listAfter] = await Promise.all([
      h.run(["get", "acme-keys"]),
      h.ok(["list", "--json"]),
    ]);
    expectExit(gone, 3, "get a removed provider");
    assert.ok(!listAfter.stdout.includes("acme-keys"), "removed provider still listed");

    // Shadowing a bundled provider needs --force; remove brings the bundled one back.
    const shadow = await h.fixture(
      "openai.json",
      JSON.stringify({ ...definition, name: "openai", display_name: "My OpenAI" }),
    );
    const refused = await h.run(["register", shadow]);
    expectExit(refused, 2, "shadow a bundled provider without --force");
    expectMatch(refused.stderr, ["bundled", "--force"], "shadow refused");
    const shadowed = stdoutJson(await h.ok(["register", shadow, "--force", "--json"]));
    assert.equal(shadowed.overrides_bundled, true);
    assert.equal(stdoutJson(await h.ok(["inspect", "openai", "--json"])).source, "custom");
    const unshadow = await h.ok(["remove", "openai"]);
    assert.match(unshadow.stdout, /^Removed provider openai\.$/m);
    assert.match(unshadow.stdout, /bundled definition of openai stays available/);
    assert.equal(stdoutJson(await h.ok(["inspect", "openai", "--json"])).source, "bundled");
    // Removing a bundled provider again deletes nothing, and says so instead of "Removed".
    const removeAgain = await h.ok(["remove", "openai"]);
    assert.match(removeAgain.stdout, /^Nothing to remove: openai has no custom definition/m);
    assert.doesNotMatch(removeAgain.stdout, /Removed provider/);
  }));

Deno.test("get prints metadata with secrets redacted, one --field, or the secret with --show-secret", () =>
  withHome(async (h) => {
    const key = openaiKey();
    const work = openaiKey();
    await h.login("openai", key, { envVar: "OPENAI_API_KEY" });
    await h.login("openai", work, { connection: "work" });
    const [
      plain,
      json,
      shown,
      shownJson,
      field,
      status,
      statusJson,
      byName,
      missing,
      unlogged,
      badField,
    ] = await Promise.all([
      h.run(["get", "openai"]),
      h.run(["get", "openai", "--json"]),
      h.run(["get", "openai", "--show-secret"]),
      h.run(["get", "openai", "--show-secret", "--json"]),
      h.run(["get", "openai", "--field", "api_key"]),
      h.run(["get", "openai", "--field", "status"]),
      h.run(["get", "openai", "--field", "status", "--json"]),
      h.run(["get", "openai", "--connection", "work", "--field", "api_key"]),
      h.run(["get", "openai", "--connection", "nope"]),
      h.run(["get", "resend"]),
      h.run(["get", "openai", "--field", "colour"]),
    ]);
    for (const r of [plain, json, shown, shownJson, field, status, statusJson, byName]) {
      expectExit(r, 0);
    }
    expectMatch(plain.stdout, [
      /^provider: openai$/m,
      /^connection_name: default$/m,
      /^status: connected$/m,
      /^api_key: \[redacted\]$/m,
    ], "get");
    assertNoSecret(plain, [key, work], "get");
    const body = stdoutJson(json);
    assert.equal(body.schema_version, 1);
    assert.equal(body.api_key, "[redacted]");
    assert.equal(body.refresh_token, null);
    assert.equal(body.status, "connected");
    assertNoSecret(json, [key, work], "get --json");
    assert.match(shown.stdout, new RegExp(`^api_key: ${key}$`, "m"));
    assert.equal(stdoutJson(shownJson).api_key, key);
    assert.equal(field.stdout, `${key}\n`, "--field api_key prints only the key");
    assert.equal(field.stderr, "");
    assert.equal(status.stdout, "connected\n");
    assert.deepEqual(stdoutJson(statusJson), { status: "connected" });
    assert.equal(byName.stdout, `${work}\n`);
    expectExit(missing, 5, "get --connection nope");
    expectMatch(missing.stderr, [
      /^Error: .*no connection "nope".*openai/m,
      "authsome login openai --connection nope",
    ], "missing connection");
    expectExit(unlogged, 5, "get a provider never logged in");
    assert.match(unlogged.stderr, /authsome login resend/);
    expectExit(badField, 2, "get --field colour");
    expectMatch(badField.stderr, [/unknown field "colour"/, "status"], "bad field");
  }));

Deno.test("the first connection of a provider becomes its default; --connection picks another", () =>
  withHome(async (h) => {
    const ci = resendKey();
    const prod = resendKey();
    await h.login("resend", ci, { connection: "ci" });
    await h.login("resend", prod, { connection: "prod" });
    const [field, name, picked, exported, listed] = await Promise.all([
      h.ok(["get", "resend", "--field", "api_key"]),
      h.ok(["get", "resend", "--field", "connection_name"]),
      h.ok(["get", "resend", "--connection", "prod", "--field", "api_key"]),
      h.ok(["export", "resend"]),
      h.ok(["list", "--json"]),
    ]);
    assert.equal(field.stdout, `${ci}\n`);
    assert.equal(name.stdout, "ci\n");
    assert.equal(picked.stdout, `${prod}\n`);
    assert.equal(exported.stdout, `RESEND_API_KEY=${ci}\n`);
    const resend = stdoutJson<
      { providers: { name: string; connections: { connection_name: string }[] }[] }
    >(
      listed,
    ).providers.find((p) => p.name === "resend")!;
    assert.deepEqual(resend.connections.map((c) => c.connection_name).sort(), ["ci", "prod"]);
  }));

Deno.test("export prints env lines, shell statements that survive eval, and JSON; never refresh tokens; every connection under distinct names when no provider is named", () =>
  withHome(async (h) => {
    const openaiDefault = openaiKey();
    const openaiWork = openaiKey();
    const resendCi = resendKey();
    // Hunter has no key pattern: a value full of shell metacharacters.
    const tricky = `it's a "$(touch ${h.dir}/pwned)" \`touch ${h.dir}/pwned\` \\ $HOME; !x`;
    const access = `gho_${randomAlnum(30)}`;
    const refresh = `ghr_${randomAlnum(30)}`;
    const colliding = randomAlnum(20);
    await h.login("openai", openaiDefault, { envVar: "OPENAI_API_KEY" });
    // A custom provider whose variable is the name a naive suffix would give openai/work.
    const custom = await h.fixture(
      "openai-work.json",
      JSON.stringify({
        schema_version: 1,
        name: "openai-work",
        display_name: "Colliding",
        auth_type: "api_key",
        flow: "api_key",
        api_key: {
          header_name: "Authorization",
          header_prefix: "Bearer",
          env_var: "OPENAI_API_KEY_WORK",
        },
        export: { env: { api_key: "OPENAI_API_KEY_WORK" } },
      }),
    );
    await h.ok(["register", custom]);
    await Promise.all([
      h.login("openai", openaiWork, { connection: "work" }),
      h.login("resend", resendCi, { connection: "ci" }),
      h.login("hunter", tricky),
      h.login("openai-work", colliding),
    ]);
    await plantOAuth(h.home, [{ provider: "github", accessToken: access, refreshToken: refresh }]);
    const all = [openaiDefault, openaiWork, resendCi, tricky, access, colliding];

    const [env, json, jsonFlag, one, picked, github, shellHunter] = await Promise.all([
      h.run(["export"]),
      h.run(["export", "--format", "json"]),
      h.run(["export", "--json"]),
      h.run(["export", "openai"]),
      h.run(["export", "openai", "--connection", "work"]),
      h.run(["export", "github", "--format", "json"]),
      h.run(["export", "hunter", "--format", "shell"]),
    ]);
    for (const r of [env, json, jsonFlag, one, picked, github, shellHunter]) {
      expectExit(r, 0, "export");
      assert.ok(
        !r.stdout.includes(refresh) && !r.stderr.includes(refresh),
        `refresh token exported\n${show(r)}`,
      );
      assert.ok(!/REFRESH/.test(r.stdout), `a refresh-token variable was exported\n${show(r)}`);
    }
    assert.equal(one.stdout, `OPENAI_API_KEY=${openaiDefault}\n`);
    assert.equal(picked.stdout, `OPENAI_API_KEY=${openaiWork}\n`);
    assert.deepEqual(stdoutJson(github), { GITHUB_ACCESS_TOKEN: access });

    const object = stdoutJson<Record<string, string>>(json);
    assert.deepEqual(stdoutJson(jsonFlag), object, "--json is --format json");
    assert.deepEqual(
      Object.values(object).sort(),
      [...all].sort(),
      "every connection exported once",
    );
    assert.equal(
      object.OPENAI_API_KEY,
      openaiDefault,
      "the default connection keeps the plain name",
    );
    assert.equal(
      object.RESEND_API_KEY,
      resendCi,
      "the only (default) connection keeps the plain name",
    );
    assert.equal(object.HUNTER_API_KEY, tricky);
    assert.equal(object.GITHUB_ACCESS_TOKEN, access);
    assert.equal(object.OPENAI_API_KEY_WORK, colliding, "a provider's own variable is not taken");
    for (const name of Object.keys(object)) assert.match(name, /^[A-Z_][A-Z0-9_]*$/);

    const lines = env.stdout.split("\n").filter(Boolean);
    assert.equal(lines.length, all.length, show(env));
    const names = lines.map((line) => line.slice(0, line.indexOf("=")));
    assert.equal(new Set(names).size, names.length, `duplicate names\n${env.stdout}`);
    for (const line of lines) {
      const name = line.slice(0, line.indexOf("="));
      assert.equal(line.slice(name.length + 1), object[name], `env and json disagree on ${name}`);
    }

    // Shell format: bash and POSIX sh get the exact values back, and nothing runs.
    const script = `authsome export --format shell > "$0/exp.sh" && ` +
      `bash -c '. "$1" && env -0' x "$0/exp.sh" > "$0/bash.env" && ` +
      `sh -c '. "$1" && env -0' x "$0/exp.sh" > "$0/sh.env"`;
    const shell = await runShell(`${script.replaceAll("$0", h.dir)}`, h);
    expectExit(shell, 0, "export --format shell | eval");
    for (const file of ["bash.env", "sh.env"]) {
      const seen = parseEnv0(await Deno.readTextFile(`${h.dir}/${file}`));
      for (const [name, value] of Object.entries(object)) {
        assert.equal(seen[name], value, `${file}: ${name} after eval`);
      }
    }
    assert.match(shellHunter.stdout, /^export HUNTER_API_KEY='/);
    await assert.rejects(Deno.stat(`${h.dir}/pwned`), Deno.errors.NotFound, "eval ran a command");
  }));

Deno.test("export with nothing stored prints nothing and says how to log in", () =>
  withHome(async (h) => {
    const [env, json] = await Promise.all([
      h.run(["export"]),
      h.run(["export", "--format", "json"]),
    ]);
    expectExit(env, 0, "export");
    assert.equal(env.stdout, "");
    assert.match(env.stderr, /authsome login/);
    expectExit(json, 0, "export json");
    assert.deepEqual(stdoutJson(json), {});
  }));

Deno.test("logout deletes one connection; revoke deletes every connection and the client config of a provider", () =>
  withHome(async (h) => {
    const [a, b, c] = [openaiKey(), openaiKey(), resendKey()];
    await h.login("openai", a, { envVar: "OPENAI_API_KEY" });
    await Promise.all([h.login("openai", b, { connection: "work" }), h.login("resend", c)]);
    await plantOAuth(h.home, [{
      provider: "github",
      accessToken: `gho_${randomAlnum(20)}`,
      refreshToken: `ghr_${randomAlnum(20)}`,
      clientId: "client-id",
      clientSecret: `cs_${randomAlnum(20)}`,
    }]);

    const [out, outJson] = await Promise.all([
      h.run(["logout", "openai", "--connection", "work"]),
      h.run(["logout", "resend", "--json"]),
    ]);
    expectExit(out, 0, "logout openai work");
    assert.match(out.stdout, /Logged out of openai \(work\)/);
    expectExit(outJson, 0, "logout resend --json");
    const body = stdoutJson(outJson);
    assert.equal(body.status, "logged_out");
    assert.equal(body.provider, "resend");
    assert.equal(body.connection, "default");

    const [gone, kept, resendGone, twice] = await Promise.all([
      h.run(["get", "openai", "--connection", "work"]),
      h.run(["get", "openai", "--field", "api_key"]),
      h.run(["get", "resend"]),
      h.run(["logout", "resend"]),
    ]);
    expectExit(gone, 5, "get a logged-out connection");
    expectExit(kept, 0, "the other connection stays");
    assert.equal(kept.stdout, `${a}\n`);
    expectExit(resendGone, 5, "get resend after logout");
    expectExit(twice, 5, "logout with nothing stored");
    assert.match(twice.stderr, /^Error: .*resend/m);

    await h.login("openai", b, { connection: "work" });
    const revoked = await h.run(["revoke", "openai"]);
    expectExit(revoked, 0, "revoke openai");
    assert.match(revoked.stdout, /Revoked all credentials for openai \(2 connections\)/);
    const [ghRevoked, list, nothing] = await Promise.all([
      h.run(["revoke", "github", "--json"]),
      h.ok(["list", "--json"]),
      h.run(["revoke", "openai", "--json"]),
    ]);
    expectExit(ghRevoked, 0, "revoke github");
    const gh = stdoutJson<{ status: string; connections: unknown[]; client_removed: boolean }>(
      ghRevoked,
    );
    assert.equal(gh.status, "revoked");
    assert.equal(gh.connections.length, 1);
    assert.equal(gh.client_removed, true);
    const openai = stdoutJson<{ providers: { name: string; connections: unknown[] }[] }>(list)
      .providers.find((p) => p.name === "openai")!;
    assert.deepEqual(openai.connections, []);
    expectExit(nothing, 0, "revoke with nothing stored");
    assert.deepEqual(stdoutJson(nothing).connections, []);
    const human = await h.ok(["revoke", "openai"]);
    assert.match(human.stdout, /[Nn]othing stored for openai/);
    assertNoSecret(revoked, [a, b], "revoke");
  }));

Deno.test("log shows audit entries: -n limits (default 50), --json is NDJSON, the troubleshooting page's python3 pipeline works, --raw tails the debug log", () =>
  withHome(async (h) => {
    const key = openaiKey();
    await h.login("openai", key, { envVar: "OPENAI_API_KEY" });
    const failed = await h.run(["login", "resend"], { stdin: "not-a-resend-key" });
    expectExit(failed, 4, "failed login");
    await h.ok(["get", "openai", "--field", "api_key"]);
    await h.ok(["export", "openai"]);

    const [human, json, two, one, raw] = await Promise.all([
      h.run(["log"]),
      h.run(["log", "--json"]),
      h.run(["log", "-n", "2", "--json"]),
      h.run(["log", "-n", "1"]),
      h.run(["log", "--raw", "-n", "3"]),
    ]);
    for (const r of [human, json, two, one, raw]) expectExit(r, 0, "log");
    expectMatch(human.stdout, [
      /login openai \(default\) success/,
      /login resend \(default\) failure/,
      /get openai \(default\) success/,
      /export openai \(default\) success/,
    ], "log");
    const entries = json.stdout.split("\n").filter(Boolean).map((line) => JSON.parse(line));
    assert.deepEqual(entries.map((e) => [e.event, e.provider, e.status]), [
      ["login", "openai", "success"],
      ["login", "resend", "failure"],
      ["get", "openai", "success"],
      ["export", "openai", "success"],
    ]);
    for (const e of entries) {
      assert.match(e.timestamp, RFC3339_UTC);
      assert.equal(e.connection, "default");
    }
    assert.ok(json.stdout.endsWith("}\n"), "one object per line");
    const lastTwo = two.stdout.split("\n").filter(Boolean).map((line) => JSON.parse(line));
    assert.deepEqual(lastTwo.map((e) => e.event), ["get", "export"]);
    assert.equal(one.stdout.trim().split("\n").length, 1);
    assert.match(one.stdout, /export openai/);
    const rawLines = raw.stdout.split("\n").filter(Boolean);
    assert.ok(rawLines.length >= 1 && rawLines.length <= 3, show(raw));
    for (const line of rawLines) assert.match(line, /^\d{4}-\d\d-\d\dT\S+ (DEBUG|INFO|WARN|ERROR)/);
    for (const r of [human, json, raw]) assertNoSecret(r, [key], "log");

    // The exact pipeline printed on the "Token refresh failures" page.
    if (await findPython()) {
      const pipeline = `authsome log -n 50 --json | python3 -c "
import sys, json
for line in sys.stdin:
    e = json.loads(line)
    if 'refresh' in e.get('event', '') or e.get('status') == 'failure':
        print(e)
"`;
      const piped = await runShell(pipeline, h);
      expectExit(piped, 0, "the seed page pipeline");
      const printed = piped.stdout.split("\n").filter(Boolean);
      assert.equal(printed.length, 1, show(piped));
      expectMatch(
        printed[0],
        ["'event': 'login'", "'provider': 'resend'", "'status': 'failure'"],
        "pipeline",
      );
    }

    // Without -n: the last 50 entries.
    await Promise.all(Array.from({ length: 24 }, () => h.ok(["export", "openai"])));
    await Promise.all(Array.from({ length: 24 }, () => h.ok(["export", "openai"])));
    const tail = await h.ok(["log", "--json"]);
    const tailLines = tail.stdout.split("\n").filter(Boolean);
    assert.equal(tailLines.length, 50);
    const fileLines = (await Deno.readTextFile(h.path("audit.log"))).split("\n").filter(Boolean);
    assert.equal(fileLines.length, 52);
    assert.deepEqual(
      tailLines.map((l) => JSON.parse(l)),
      fileLines.slice(-50).map((l) => JSON.parse(l)),
    );
  }));

Deno.test("log on a fresh home says there are no entries; --json prints nothing", () =>
  withHome(async (h) => {
    const [human, json] = await Promise.all([h.run(["log"]), h.run(["log", "--json"])]);
    expectExit(human, 0, "log");
    assert.match(human.stdout, /[Nn]o audit log entries/);
    expectExit(json, 0, "log --json");
    assert.equal(json.stdout.trim(), "");
  }));

Deno.test("doctor passes on a healthy home and exits 1 naming the problem and its fix when a file is unsafe or a custom provider is broken", () =>
  withHome(async (h) => {
    await h.login("openai", openaiKey(), { envVar: "OPENAI_API_KEY" });
    const [human, json] = await Promise.all([h.run(["doctor"]), h.run(["doctor", "--json"])]);
    expectExit(human, 0, "doctor");
    assert.match(human.stdout, /No problems found/);
    assert.ok(!/FAIL/.test(human.stdout), show(human));
    expectExit(json, 0, "doctor --json");
    const body = stdoutJson<
      { schema_version: number; ok: boolean; checks: { name: string; ok: boolean }[] }
    >(
      json,
    );
    assert.equal(body.schema_version, 1);
    assert.equal(body.ok, true);
    const names = body.checks.map((c) => c.name);
    for (const name of ["home", "permissions", "vault", "providers", "logs"]) {
      assert.ok(names.includes(name), `doctor checks ${name}: ${names}`);
    }

    await Deno.chmod(h.path("vault.enc"), 0o644);
    const [unsafe, unsafeJson] = await Promise.all([
      h.run(["doctor"]),
      h.run(["doctor", "--json"]),
    ]);
    expectExit(unsafe, 1, "doctor with vault.enc 0644");
    expectMatch(unsafe.stdout, ["FAIL", "vault.enc", "chmod 600"], "doctor unsafe");
    expectExit(unsafeJson, 1, "doctor --json with vault.enc 0644");
    assert.equal(stdoutJson(unsafeJson).ok, false);
    await Deno.chmod(h.path("vault.enc"), 0o600);

    await Deno.mkdir(h.path("providers"), { recursive: true, mode: 0o700 });
    await Deno.writeTextFile(h.path("providers/broken.json"), "{not json", { mode: 0o600 });
    const [broken, list, get] = await Promise.all([
      h.run(["doctor"]),
      h.run(["list"]),
      h.run(["get", "openai", "--field", "status"]),
    ]);
    expectExit(broken, 1, "doctor with a broken custom provider");
    expectMatch(broken.stdout, ["FAIL", "broken.json"], "doctor broken provider");
    expectExit(list, 0, "a broken custom provider does not break list");
    assert.match(list.stderr, /broken\.json/, "list warns about the skipped file");
    expectExit(get, 0, "a broken custom provider does not break get");
  }));

Deno.test("completions bash passes bash -n and completes commands and provider names; zsh and fish scripts parse", () =>
  withHome(async (h) => {
    const [bash, zsh, fish, bad] = await Promise.all([
      h.run(["completions", "bash"]),
      h.run(["completions", "zsh"]),
      h.run(["completions", "fish"]),
      h.run(["completions", "tcsh"]),
    ]);
    for (const r of [bash, zsh, fish]) expectExit(r, 0, "completions");
    expectExit(bad, 2, "completions tcsh");
    const file = await h.fixture("authsome.bash", bash.stdout);
    const syntax = await new Deno.Command("bash", { args: ["-n", file], stderr: "piped" }).output();
    assert.ok(syntax.success, `bash -n: ${new TextDecoder().decode(syntax.stderr)}`);
    const complete = (words: string[]) =>
      runShell(
        `source '${file}'; fn=$(complete -p authsome | sed -E 's/.*-F ([^ ]+).*/\\1/'); ` +
          `COMP_WORDS=(${words.join(" ")}); COMP_CWORD=${words.length - 1}; "$fn"; ` +
          `printf '%s\\n' "\${COMPREPLY[@]}"`,
        h,
      );
    const [commands, providers, formats] = await Promise.all([
      complete(["authsome", "li"]),
      complete(["authsome", "get", "ope"]),
      complete(["authsome", "export", "--format", "''"]),
    ]);
    assert.deepEqual(commands.stdout.split("\n").filter(Boolean), ["list"], show(commands));
    assert.ok(providers.stdout.split("\n").includes("openai"), show(providers));
    assert.deepEqual(formats.stdout.split("\n").filter(Boolean).sort(), ["env", "json", "shell"]);
    for (
      const [shell, result, args] of [["zsh", zsh, ["-n"]], ["fish", fish, [
        "--no-execute",
      ]]] as const
    ) {
      if (!commandExists(shell)) continue;
      const path = await h.fixture(`authsome.${shell}`, result.stdout);
      const check = await new Deno.Command(shell, { args: [...args, path], stderr: "piped" })
        .output();
      assert.ok(check.success, `${shell} ${args}: ${new TextDecoder().decode(check.stderr)}`);
    }
  }));

Deno.test("profiles chosen with --profile or AUTHSOME_PROFILE keep their connections apart", () =>
  withHome(async (h) => {
    const mine = openaiKey();
    const work = openaiKey();
    const workResend = resendKey();
    await h.login("openai", mine, { envVar: "OPENAI_API_KEY" });
    await h.login("openai", work, { profile: "work" });
    await h.ok(["login", "resend"], { env: { AUTHSOME_PROFILE: "work" }, stdin: workResend });
    const workEnv = { env: { AUTHSOME_PROFILE: "work" } };
    const [byEnv, byFlag, byDefault, flagWins, resendDefault, exported, listed, who] = await Promise
      .all([
        h.run(["get", "openai", "--field", "api_key"], workEnv),
        h.run(["get", "openai", "--field", "api_key", "--profile", "work"]),
        h.run(["get", "openai", "--field", "api_key"]),
        h.run(["get", "openai", "--field", "api_key", "--profile", "default"], workEnv),
        h.run(["get", "resend"]),
        h.run(["export", "--format", "json"], workEnv),
        h.run(["list", "--json", "--profile", "work"]),
        h.run(["whoami", "--json"], workEnv),
      ]);
    assert.equal(byEnv.stdout, `${work}\n`, show(byEnv));
    assert.equal(byFlag.stdout, `${work}\n`, show(byFlag));
    assert.equal(byDefault.stdout, `${mine}\n`, show(byDefault));
    assert.equal(flagWins.stdout, `${mine}\n`, "--profile wins over AUTHSOME_PROFILE");
    expectExit(resendDefault, 5, "resend is only in the work profile");
    assert.deepEqual(stdoutJson(exported), { OPENAI_API_KEY: work, RESEND_API_KEY: workResend });
    const body = stdoutJson<
      { profile: string; providers: { name: string; connections: unknown[] }[] }
    >(
      listed,
    );
    assert.equal(body.profile, "work");
    assert.deepEqual(
      body.providers.filter((p) => p.connections.length > 0).map((p) => p.name).sort(),
      ["openai", "resend"],
    );
    assert.equal(stdoutJson(who).active_profile, "work");

    await h.ok(["logout", "openai", "--profile", "work"]);
    const [still, goneInWork] = await Promise.all([
      h.run(["get", "openai", "--field", "api_key"]),
      h.run(["get", "openai"], workEnv),
    ]);
    assert.equal(still.stdout, `${mine}\n`, "logout in work left default alone");
    expectExit(goneInWork, 5, "openai logged out of work");
    assert.match(goneInWork.stderr, /--profile work|profile "work"/);
  }));

Deno.test("--version, --help and per-command -h print and exit 0; --quiet keeps stdout empty on success", () =>
  withHome(async (h) => {
    const [version, short, versionJson, top, none, getHelp, quiet] = await Promise.all([
      h.run(["--version"]),
      h.run(["-v"]),
      h.run(["--version", "--json"]),
      h.run(["--help"]),
      h.run([]),
      h.run(["get", "-h"]),
      h.run(["login", "openai", "--quiet"], { env: { OPENAI_API_KEY: openaiKey() } }),
    ]);
    for (const r of [version, short, versionJson, top, none, getHelp, quiet]) expectExit(r, 0);
    assert.match(version.stdout, /^authsome \d+\.\d+\.\d+\n$/);
    assert.equal(short.stdout, version.stdout);
    assert.equal(`authsome ${stdoutJson(versionJson).version}\n`, version.stdout);
    for (
      const command of [
        "init",
        "list",
        "inspect",
        "login",
        "logout",
        "revoke",
        "remove",
        "register",
        "get",
        "export",
        "log",
        "doctor",
        "whoami",
        "completions",
      ]
    ) {
      assert.match(top.stdout, new RegExp(`^\\s+${command}\\b`, "m"), `help lists ${command}`);
    }
    assert.equal(none.stdout, top.stdout);
    expectMatch(
      getHelp.stdout,
      ["--field", "--show-secret", "--connection", "authsome get"],
      "get -h",
    );
    assert.equal(quiet.stdout, "", show(quiet));
  }));

/** A custom API-key provider, as a `register` file. */
const ACME_DEFINITION = JSON.stringify({
  schema_version: 1,
  name: "acme",
  display_name: "Acme",
  auth_type: "api_key",
  flow: "api_key",
  api_key: { header_name: "X-Key", env_var: "ACME_KEY" },
});

Deno.test("every file authsome writes under the home is 0600 and every directory 0700", () =>
  withHome(async (h) => {
    await h.login("openai", openaiKey(), { envVar: "OPENAI_API_KEY" });
    const custom = await h.fixture("custom.json", ACME_DEFINITION);
    await h.ok(["register", custom]);
    await h.login("acme", randomAlnum(20));
    expectExit(await h.run(["get", "openai", "--connection", "nope"]), 5);
    await h.ok(["export"]);
    await h.ok(["init"]);
    const problems: string[] = [];
    const walk = async (dir: string) => {
      for await (const entry of Deno.readDir(dir)) {
        const path = `${dir}/${entry.name}`;
        const mode = (await Deno.stat(path)).mode! & 0o777;
        if (entry.isDirectory) {
          if (mode !== 0o700) problems.push(`${path} is ${mode.toString(8)}`);
          await walk(path);
        } else if (mode !== 0o600) problems.push(`${path} is ${mode.toString(8)}`);
      }
    };
    if (modeOf(h.home) !== 0o700) problems.push(`${h.home} is ${modeOf(h.home).toString(8)}`);
    await walk(h.home);
    assert.deepEqual(problems, []);
    for (
      const name of [
        "vault.enc",
        "vault.enc.bak",
        "master.key",
        "audit.log",
        "logs/authsome.log",
        "providers/acme.json",
      ]
    ) {
      await Deno.stat(h.path(name));
    }
  }));

Deno.test("the audit log records register, login, get of a secret, export, logout, revoke and remove; --log-file '' writes no debug log", () =>
  withHome(async (h) => {
    const custom = await h.fixture("custom.json", ACME_DEFINITION);
    await h.ok(["register", custom]);
    await h.login("acme", randomAlnum(20));
    await h.login("hunter", randomAlnum(20));
    await h.login("hunter", randomAlnum(20), { connection: "b" });
    await h.ok(["get", "hunter", "--field", "status"]);
    await h.ok(["get", "hunter", "--field", "api_key"]);
    await h.ok(["export", "hunter"]);
    await h.ok(["logout", "hunter", "--connection", "b"]);
    await h.ok(["revoke", "hunter"]);
    await h.ok(["remove", "acme"]);
    const entries = (await h.ok(["log", "--json"])).stdout.split("\n").filter(Boolean)
      .map((line) => JSON.parse(line));
    assert.deepEqual(entries.map((e) => `${e.event} ${e.provider} ${e.status}`), [
      "register acme success",
      "login acme success",
      "login hunter success",
      "login hunter success",
      "get hunter success",
      "export hunter success",
      "logout hunter success",
      "revoke hunter success",
      "remove acme success",
    ]);
    assert.equal(entries[4].field, "api_key");
    assert.equal(entries[6].connection, "b");

    const debugLog = h.path("logs/authsome.log");
    const before = await Deno.readTextFile(debugLog).catch(() => "");
    const failed = await h.run([
      "get",
      "hunter",
      "--connection",
      "zzz-not-there",
      "--log-file",
      "",
    ]);
    expectExit(failed, 5, "get a missing connection");
    const after = await Deno.readTextFile(debugLog).catch(() => "");
    assert.equal(after, before, "--log-file '' still wrote the debug log");
    const logged = await h.run(["get", "hunter", "--connection", "zzz-not-there"]);
    expectExit(logged, 5, "get a missing connection");
    assert.match(
      await Deno.readTextFile(debugLog),
      /zzz-not-there/,
      "failures reach the debug log",
    );
  }));
