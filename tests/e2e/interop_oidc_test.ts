/**
 * Interoperability with a real, certified authorization server (oidc-provider 9.13.3, npm,
 * test-only, installed by `.ci/run` with `npm ci --prefix tests/interop`), driven through the
 * real CLI: PKCE login with a scripted user agent, the device flow, refresh with rotation,
 * RFC 7009 revocation, and dynamic client registration.
 */
import assert from "node:assert/strict";
import { oidcAvailable, startOidcProvider } from "../_fakes/oidc.ts";
import { tempHome } from "../_fakes/platform.ts";
import { confirmDeviceCode } from "../_fakes/user_agent.ts";
import { CLI, runCli } from "./_cli.ts";
import { MASTER_KEY } from "./_oauth_setup.ts";

const ignore = !oidcAvailable();
const BROWSER = `${Deno.execPath()} run -A ${
  new URL("./_oidc_browser.ts", import.meta.url).pathname
}`;

async function setUp(accessTtl: number) {
  const dir = await tempHome();
  await Deno.mkdir(`${dir.home}/providers`, { recursive: true, mode: 0o700 });
  await Deno.chmod(dir.home, 0o700);
  const provider = await startOidcProvider({ accessTtl });
  const issuer = provider.issuer;
  await Deno.writeTextFile(
    `${dir.home}/providers/oidc.json`,
    JSON.stringify({
      schema_version: 1,
      name: "oidc",
      display_name: "oidc-provider",
      auth_type: "oauth2",
      flow: "pkce",
      oauth: {
        authorization_url: `${issuer}/auth`,
        token_url: `${issuer}/token`,
        revocation_url: `${issuer}/token/revocation`,
        device_authorization_url: `${issuer}/device/auth`,
        scopes: ["openid", "offline_access"],
        supports_device_flow: true,
        supports_dcr: true,
      },
      host_url: "127.0.0.1",
      client: { client_id_env: "OIDC_CLIENT_ID", client_secret_env: "OIDC_CLIENT_SECRET" },
    }),
    { mode: 0o600 },
  );
  const env = {
    AUTHSOME_MASTER_KEY: MASTER_KEY,
    AUTHSOME_BROWSER: BROWSER,
    OIDC_CLIENT_ID: "authsome-test",
    NO_PROXY: "127.0.0.1,localhost",
  };
  return {
    home: dir.home,
    issuer,
    env,
    cli: (args: string[], extra: Record<string, string> = {}) =>
      runCli(args, { home: dir.home, env: { ...env, ...extra } }),
    async [Symbol.asyncDispose]() {
      await provider.close();
      await dir[Symbol.asyncDispose]();
    },
  };
}

async function tokenRequest(issuer: string, params: Record<string, string>) {
  const response = await fetch(`${issuer}/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(params),
  });
  return { status: response.status, body: await response.json() };
}

Deno.test({
  name: "oidc-provider: PKCE login, refresh with rotation, then logout revokes the grant",
  ignore,
  async fn() {
    for (const name of ["HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"]) {
      Deno.env.delete(name);
    }
    // An 8 s access token is refreshed once half its lifetime is gone (short-lived tokens).
    await using t = await setUp(8);
    const login = await t.cli(["login", "oidc", "--port", "0"]);
    assert.equal(login.code, 0, login.stderr);
    const view = JSON.parse((await t.cli(["get", "oidc", "--json", "--show-secret"])).stdout);
    assert.equal(view.status, "connected");
    assert.ok(view.refresh_token, "oidc-provider issued a refresh token");
    const firstRefreshToken = view.refresh_token;
    await new Promise((resolve) => setTimeout(resolve, 4_100));
    const a = await t.cli(["get", "oidc", "--field", "access_token"]);
    assert.equal(a.code, 0, a.stderr);
    await new Promise((resolve) => setTimeout(resolve, 4_100));
    const b = await t.cli(["get", "oidc", "--field", "access_token"]);
    assert.equal(b.code, 0, b.stderr);
    assert.notEqual(a.stdout, b.stdout, "each access past half the lifetime refreshed");
    assert.notEqual(a.stdout.trim(), view.access_token, "refreshed after half the lifetime");
    const after = JSON.parse((await t.cli(["get", "oidc", "--json", "--show-secret"])).stdout);
    assert.notEqual(after.refresh_token, firstRefreshToken, "refresh tokens rotated");
    // Replaying the first refresh token would revoke the grant: authsome never did.
    const logout = await t.cli(["logout", "oidc", "--json"]);
    assert.equal(logout.code, 0, logout.stderr);
    assert.equal(JSON.parse(logout.stdout).remote, "revoked");
    const replay = await tokenRequest(t.issuer, {
      grant_type: "refresh_token",
      refresh_token: after.refresh_token,
      client_id: "authsome-test",
    });
    assert.equal(replay.status, 400);
    assert.equal(replay.body.error, "invalid_grant", "revoked at the provider (RFC 7009)");
  },
});

Deno.test({
  name: "oidc-provider: a confidential client held to client_secret_basic logs in and refreshes",
  ignore,
  async fn() {
    for (const name of ["HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"]) {
      Deno.env.delete(name);
    }
    // No method in the definition: the server's metadata (and its iss, RFC 9207) decide.
    await using t = await setUp(8);
    const env = {
      OIDC_CLIENT_ID: "authsome-confidential",
      OIDC_CLIENT_SECRET: "s3cret:with/special+chars",
    };
    const login = await t.cli(["login", "oidc", "--port", "0", "--verbose"], env);
    assert.equal(login.code, 0, login.stderr);
    assert.match(login.stderr, /auth_method.{0,4}client_secret_basic/);
    await new Promise((resolve) => setTimeout(resolve, 4_100));
    const refreshed = await t.cli(["get", "oidc", "--field", "access_token", "--verbose"], env);
    assert.equal(refreshed.code, 0, refreshed.stderr);
    assert.match(refreshed.stderr, /grant_type.{0,4}refresh_token/);
    assert.doesNotMatch(refreshed.stderr, /refresh failed/);
  },
});

Deno.test({
  name: "oidc-provider: device authorization flow",
  ignore,
  async fn() {
    await using t = await setUp(3600);
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", CLI, "login", "oidc", "--flow", "device_code"],
      clearEnv: true,
      env: {
        PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
        HOME: `${t.home}/../user`,
        AUTHSOME_HOME: t.home,
        ...t.env,
        AUTHSOME_BROWSER: "none",
        NO_COLOR: "1",
      },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const reader = child.stderr.getReader();
    let text = "";
    while (!/Waiting for authorization/.test(text)) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    const uri = text.match(/To authorize, open: (\S+)/)?.[1];
    const code = text.match(/and enter the code: +(\S+)/)?.[1];
    assert.ok(uri && code, text);
    await confirmDeviceCode(uri, code, { login: "alice" });
    while (!(await reader.read()).done) { /* drain */ }
    const [status, stdout] = await Promise.all([child.status, new Response(child.stdout).text()]);
    assert.equal(status.code, 0, text);
    assert.match(stdout, /Successfully logged in to oidc \(default\)/);
    const view = JSON.parse((await t.cli(["get", "oidc", "--json"])).stdout);
    assert.equal(view.status, "connected");
  },
});

Deno.test({
  name: "oidc-provider: dynamic client registration via discovery, then PKCE",
  ignore,
  async fn() {
    await using t = await setUp(3600);
    const login = await t.cli(["login", "oidc", "--flow", "dcr_pkce", "--port", "0"], {
      OIDC_CLIENT_ID: "",
    });
    assert.equal(login.code, 0, login.stderr);
    const inspect = JSON.parse((await t.cli(["inspect", "oidc", "--json"])).stdout);
    assert.equal(inspect.client.source, "dcr");
    assert.notEqual(inspect.client.client_id, "authsome-test");
    assert.equal((await t.cli(["get", "oidc", "--field", "status"])).stdout, "connected\n");
  },
});
