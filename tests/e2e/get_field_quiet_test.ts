/**
 * `get --field` of a secret the connection does not hold is an error naming what it holds, and
 * `--quiet` drops chatter (warnings, progress, success notes) but never a result.
 */
import assert from "node:assert/strict";
import { startFakeAuthServer } from "../_fakes/oauth_server.ts";
import { runCli } from "./_cli.ts";
import { oauthEnv, writeProvider } from "./_oauth_setup.ts";
import {
  expectExit,
  expectJsonError,
  openaiKey,
  plantOAuth,
  randomAlnum,
  show,
  stdoutJson,
  withHome,
} from "./_helpers.ts";

Deno.test("get --field access_token/refresh_token of an API key is exit 5 naming api_key, not an empty line", () =>
  withHome(async (h) => {
    const key = openaiKey();
    await h.login("openai", key, { connection: "work" });
    for (const field of ["access_token", "refresh_token"]) {
      const out = await h.run(["get", "openai", "--connection", "work", "--field", field]);
      expectExit(out, 5, `get --field ${field}`);
      assert.equal(out.stdout, "", show(out));
      assert.equal(
        out.stderr,
        `Error: openai (work) is an API-key connection with no ${field}; it has: api_key\n` +
          "  authsome get openai --connection work --field api_key\n",
      );
      assert.ok(!out.stderr.includes(key));
    }
    const json = await h.run([
      "get",
      "openai",
      "--connection",
      "work",
      "--field",
      "access_token",
      "--json",
    ]);
    const body = expectJsonError(json, "credential_missing", 5);
    assert.match(String(body.message), /it has: api_key/);
    // The field it has still prints, and a secret-less read is not audited as a reveal.
    assert.equal(
      (await h.ok(["get", "openai", "--connection", "work", "--field", "api_key"])).stdout,
      `${key}\n`,
    );
    const audit = (await Deno.readTextFile(h.path("audit.log"))).trim().split("\n")
      .map((line) => JSON.parse(line)).filter((e) => e.event === "get");
    assert.deepEqual(audit.map((e) => e.field), ["api_key"]);
  }));

Deno.test("get --field api_key of an OAuth connection names access_token and refresh_token", () =>
  withHome(async (h) => {
    await plantOAuth(h.home, [{
      provider: "github",
      accessToken: `gho_${randomAlnum(20)}`,
      refreshToken: `ghr_${randomAlnum(20)}`,
    }]);
    const out = await h.run(["get", "github", "--field", "api_key"]);
    expectExit(out, 5, "get github --field api_key");
    assert.match(
      out.stderr,
      /^Error: github \(default\) is an OAuth2 connection with no api_key; it has: access_token, refresh_token\n/,
    );
    assert.match(out.stderr, /authsome get github --field access_token/);
    // Non-secret fields that are unset still print an empty value (scripts test for it).
    const expires = await h.ok(["get", "github", "--field", "base_url"]);
    assert.equal(expires.stdout, "\n");
  }));

Deno.test("--quiet silences success notes and progress but never results", () =>
  withHome(async (h) => {
    const key = openaiKey();
    const login = await h.run(["login", "openai", "--quiet"], { stdin: key });
    expectExit(login, 0, "login --quiet");
    assert.equal(login.stdout, "", show(login));
    assert.equal(login.stderr, "", show(login));
    const [list, loud, who, log, value, doctor, json] = await Promise.all([
      h.ok(["list", "--quiet"]),
      h.ok(["list"]),
      h.ok(["whoami", "--quiet"]),
      h.ok(["log", "--quiet"]),
      h.ok(["get", "openai", "--field", "api_key", "--quiet"]),
      h.ok(["doctor", "--quiet"]),
      h.ok(["whoami", "--json", "--quiet"]),
    ]);
    assert.equal(list.stdout, loud.stdout, "list is a result");
    assert.match(list.stdout, /\[openai\].*connected/);
    assert.match(who.stdout, /Connected Providers: 1/);
    assert.match(log.stdout, /login/);
    assert.equal(value.stdout, `${key}\n`);
    assert.equal(doctor.stdout, "", "a healthy doctor --quiet prints nothing");
    assert.equal(stdoutJson(json).connected_providers_count, 1);
    for (const args of [["logout", "openai", "--quiet"], ["init", "--quiet"]]) {
      const out = await h.ok(args);
      assert.equal(out.stdout + out.stderr, "", show(out));
    }
  }));

Deno.test("login --quiet --json --flow device_code still shows the code to enter (an instruction, not chatter)", () =>
  withHome(async (h) => {
    await Deno.mkdir(h.home, { mode: 0o700 });
    const server = await startFakeAuthServer({ deviceInterval: 1 });
    try {
      await writeProvider(h.home, server.url);
      server.config.devicePollScript = ["ok"];
      const login = await runCli(
        ["login", "fakehub", "--flow", "device_code", "--quiet", "--json"],
        {
          home: h.home,
          env: oauthEnv({ FAKEHUB_CLIENT_ID: "authsome-test", AUTHSOME_BROWSER: "none" }),
        },
      );
      expectExit(login, 0, "device login");
      assert.match(login.stderr, /To authorize, open: http:\/\/127\.0\.0\.1:\d+\/device/);
      assert.match(login.stderr, /and enter the code: +\S+/);
      assert.doesNotMatch(login.stderr, /Waiting for authorization/, "progress is chatter");
      assert.equal(stdoutJson(login).status, "success");
    } finally {
      await server.close();
    }
  }));
