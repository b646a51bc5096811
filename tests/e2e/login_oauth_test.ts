/**
 * OAuth2 logins through the real CLI against the fake authorization server: PKCE with a
 * scripted browser, the device flow, dynamic client registration (registered once, reused,
 * re-registered on invalid_client), Ctrl-C, and re-login rules.
 */
import assert from "node:assert/strict";
import { CLI, readTree } from "./_cli.ts";
import { fakeHubSetUp, MASTER_KEY } from "./_oauth_setup.ts";

function setUp() {
  return fakeHubSetUp({ server: { deviceInterval: 1 } });
}

Deno.test("login --flow pkce: browser round trip, tokens stored, S256 challenge sent", async () => {
  await using t = await setUp();
  const login = await t.cli(["login", "fakehub", "--port", "0"]);
  assert.equal(login.code, 0, login.stderr);
  assert.match(login.stderr, /Open this URL in your browser to authorize:/);
  const authorize = t.server.requestsTo("/authorize")[0];
  assert.equal(authorize.query.code_challenge_method, "S256");
  assert.equal(authorize.query.client_id, "authsome-test");
  assert.match(authorize.query.redirect_uri, /^http:\/\/127\.0\.0\.1:\d+\/callback$/);
  assert.equal(authorize.query.state.length, 43);
  const token = t.server.tokenRequests()[0];
  assert.equal(token.params.grant_type, "authorization_code");
  assert.ok(token.params.code_verifier.length >= 43);
  const got = await t.cli(["get", "fakehub", "--json"]);
  const view = JSON.parse(got.stdout);
  assert.equal(view.status, "connected");
  assert.equal(view.access_token, "[redacted]");
  assert.deepEqual(view.scopes, ["read"]);
  const again = await t.cli(["login", "fakehub", "--port", "0"]);
  assert.match(again.stdout, /Already logged in to fakehub \(default\)/);
  assert.equal(t.server.requestsTo("/authorize").length, 1, "no second flow");
});

Deno.test("login: the authorization server denying access fails with exit 4", async () => {
  await using t = await setUp();
  t.server.config.denyAuthorization = true;
  const login = await t.cli(["login", "fakehub", "--port", "0"]);
  assert.equal(login.code, 4);
  assert.match(login.stderr, /access_denied/);
  assert.equal((await t.cli(["get", "fakehub"])).code, 5, "nothing stored");
});

Deno.test("login --flow device_code: prints the code, polls, stores the tokens", async () => {
  await using t = await setUp();
  t.server.config.devicePollScript = ["authorization_pending", "ok"];
  const login = await t.cli(["login", "fakehub", "--flow", "device_code"], {
    AUTHSOME_BROWSER: "none",
  });
  assert.equal(login.code, 0, login.stderr);
  assert.match(login.stderr, /and enter the code: +\S+/);
  assert.match(login.stderr, /Waiting for authorization \(expires in \d+s\)/);
  const polls = t.server.tokenRequests().filter((r) =>
    r.params.grant_type === "urn:ietf:params:oauth:grant-type:device_code"
  );
  assert.equal(polls.length, 2);
  assert.equal((await t.cli(["get", "fakehub", "--field", "status"])).stdout, "connected\n");
});

Deno.test("login --flow device_code: access_denied stops with a clear message", async () => {
  await using t = await setUp();
  t.server.config.devicePollScript = ["access_denied"];
  const login = await t.cli(["login", "fakehub", "--flow", "device_code"], {
    AUTHSOME_BROWSER: "none",
  });
  assert.equal(login.code, 4);
  assert.match(login.stderr, /denied/);
});

Deno.test("login --flow dcr_pkce: registers once, reuses the client, re-registers when forgotten", async () => {
  await using t = await setUp();
  t.server.config.requireKnownClient = true;
  const first = await t.cli(["login", "fakehub", "--flow", "dcr_pkce", "--port", "0"]);
  assert.equal(first.code, 0, first.stderr);
  assert.equal(t.server.registrations, 1);
  const second = await t.cli(["login", "fakehub", "--flow", "dcr_pkce", "--force", "--port", "0"]);
  assert.equal(second.code, 0, second.stderr);
  assert.equal(t.server.registrations, 1, "the stored client is reused");
  const inspect = JSON.parse((await t.cli(["inspect", "fakehub", "--json"])).stdout);
  assert.equal(inspect.client.source, "dcr");
  // The server forgets the client: the next login registers again.
  const clientId = inspect.client.client_id;
  t.server.addClient({ clientId: "someone-else" });
  t.server.faults.push("/token", { oauthError: "invalid_client" });
  const third = await t.cli(["login", "fakehub", "--flow", "dcr_pkce", "--force", "--port", "0"]);
  assert.equal(third.code, 0, third.stderr);
  assert.equal(t.server.registrations, 2);
  const after = JSON.parse((await t.cli(["inspect", "fakehub", "--json"])).stdout);
  assert.notEqual(after.client.client_id, clientId);
});

Deno.test("login: Ctrl-C while waiting for the browser exits 130 and changes nothing", async () => {
  await using t = await setUp();
  const before = await readTree(t.home);
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", CLI, "login", "fakehub", "--port", "0"],
    clearEnv: true,
    env: {
      PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
      HOME: `${t.home}/../user`,
      AUTHSOME_HOME: t.home,
      AUTHSOME_MASTER_KEY: MASTER_KEY,
      AUTHSOME_BROWSER: "none",
      FAKEHUB_CLIENT_ID: "authsome-test",
      NO_COLOR: "1",
    },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  // Wait until it is listening (it prints the URL), then press Ctrl-C.
  const reader = child.stderr.getReader();
  let seen = "";
  while (!seen.includes("Waiting for the browser")) {
    const { value, done } = await reader.read();
    if (done) break;
    seen += new TextDecoder().decode(value);
  }
  child.kill("SIGINT");
  const rest = [];
  while (true) {
    const { value, done } = await reader.read();
    if (done) break;
    rest.push(new TextDecoder().decode(value));
  }
  const status = await child.status;
  await child.stdout.cancel();
  assert.equal(status.code, 130, seen + rest.join(""));
  assert.match(rest.join(""), /cancel/i);
  const after = await readTree(t.home);
  for (const [path, bytes] of before) {
    if (path.endsWith(".log") || path.includes("/logs/")) continue;
    assert.deepEqual(after.get(path), bytes, `${path} unchanged`);
  }
  assert.ok(![...after.keys()].some((p) => p.endsWith("vault.enc")), "no vault was created");
});
