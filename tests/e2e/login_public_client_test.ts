/**
 * Device-code logins of public clients need no client id from the user: the definition's
 * published `client.client_id`, or none at all when the device flow is keyed by the device
 * code alone (`device_token_request: "json"`, like Postiz). Runs without a terminal.
 */
import assert from "node:assert/strict";
import { startFakeAuthServer } from "../_fakes/oauth_server.ts";
import { tempHome } from "../_fakes/platform.ts";
import { runCli } from "./_cli.ts";
import { oauthEnv } from "./_oauth_setup.ts";

async function setUp(oauth: Record<string, unknown>, client: Record<string, unknown>) {
  const dir = await tempHome();
  await Deno.mkdir(`${dir.home}/providers`, { recursive: true, mode: 0o700 });
  const server = await startFakeAuthServer({ deviceInterval: 1, allowAnonymousClients: true });
  const definition = {
    name: "devhub",
    display_name: "Dev Hub",
    auth_type: "oauth2",
    flow: "device_code",
    oauth: {
      token_url: `${server.url}/token`,
      device_authorization_url: `${server.url}/device/code`,
      scopes: ["read"],
      ...oauth,
    },
    client,
  };
  await Deno.writeTextFile(`${dir.home}/providers/devhub.json`, JSON.stringify(definition));
  return {
    server,
    cli: (args: string[]) => runCli(args, { home: dir.home, env: oauthEnv() }),
    async [Symbol.asyncDispose]() {
      await server.close();
      await dir[Symbol.asyncDispose]();
    },
  };
}

Deno.test("login device_code: the definition's public client id is used, nothing is asked", async () => {
  await using t = await setUp({}, { client_id: "published-cli-id" });
  const login = await t.cli(["login", "devhub"]);
  assert.equal(login.code, 0, login.stderr);
  assert.equal(t.server.requestsTo("/device/code")[0].params.client_id, "published-cli-id");
  assert.equal((await t.cli(["get", "devhub", "--field", "status"])).stdout.trim(), "connected");
});

Deno.test("login device_code: a JSON-polled device flow needs no client id at all", async () => {
  await using t = await setUp({ device_token_request: "json" }, {});
  const login = await t.cli(["login", "devhub"]);
  assert.equal(login.code, 0, login.stderr);
  assert.equal(t.server.requestsTo("/device/code")[0].params.client_id, undefined);
});

Deno.test("login device_code: a form-polled flow without any client id still says how to set one", async () => {
  await using t = await setUp({}, { client_id_env: "DEVHUB_CLIENT_ID" });
  const login = await t.cli(["login", "devhub"]);
  assert.equal(login.code, 2, login.stderr);
  assert.match(login.stderr, /export DEVHUB_CLIENT_ID=<client id>/);
});
