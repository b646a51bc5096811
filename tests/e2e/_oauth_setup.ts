/**
 * Shared set-up for OAuth end-to-end tests: a custom provider pointing at the fake
 * authorization server, and a seeded OAuth connection in the vault.
 */
import { homePaths } from "../../src/model/home.ts";
import { denoPlatform } from "../../src/platform/deno.ts";
import { Vault } from "../../src/vault/vault.ts";
import { encodeKey } from "../../src/vault/key_source.ts";
import { type FakeAuthServerOptions, startFakeAuthServer } from "../_fakes/oauth_server.ts";
import { tempHome } from "../_fakes/platform.ts";
import { runCli } from "./_cli.ts";

/** A fixed key so the test and the CLI open the same vault. */
export const MASTER_KEY = encodeKey(Uint8Array.from({ length: 32 }, (_, i) => 200 - i));

/** Environment for CLI runs against the fake server. */
export function oauthEnv(extra: Record<string, string> = {}): Record<string, string> {
  const browser = new URL("./_browser.ts", import.meta.url).pathname;
  return {
    AUTHSOME_MASTER_KEY: MASTER_KEY,
    AUTHSOME_BROWSER: `${Deno.execPath()} run -A ${browser}`,
    NO_PROXY: "127.0.0.1,localhost",
    ...extra,
  };
}

/** Writes the custom provider `fakehub` for a server at `baseUrl` into the home. */
export async function writeProvider(home: string, baseUrl: string, name = "fakehub") {
  await Deno.mkdir(`${home}/providers`, { recursive: true, mode: 0o700 });
  await Deno.chmod(home, 0o700);
  const definition = {
    schema_version: 1,
    name,
    display_name: "Fake Hub",
    auth_type: "oauth2",
    flow: "pkce",
    oauth: {
      authorization_url: `${baseUrl}/authorize`,
      token_url: `${baseUrl}/token`,
      revocation_url: `${baseUrl}/revoke`,
      device_authorization_url: `${baseUrl}/device/code`,
      scopes: ["read"],
      supports_device_flow: true,
    },
    host_url: "api.fakehub.test",
    export: { env: { access_token: "FAKEHUB_TOKEN" } },
    client: { client_id_env: "FAKEHUB_CLIENT_ID", client_secret_env: "FAKEHUB_CLIENT_SECRET" },
  };
  await Deno.writeTextFile(`${home}/providers/${name}.json`, JSON.stringify(definition), {
    mode: 0o600,
  });
}

/** Seeds an OAuth connection (and its client) directly into the vault. */
export async function seedConnection(home: string, fields: {
  provider?: string;
  connection?: string;
  accessToken: string;
  refreshToken: string | null;
  expiresAt: string | null;
  clientId?: string;
  status?: string;
}) {
  const provider = fields.provider ?? "fakehub";
  const connection = fields.connection ?? "default";
  const platform = {
    ...denoPlatform(),
    env: (n: string) => n === "AUTHSOME_MASTER_KEY" ? MASTER_KEY : undefined,
  };
  const vault = new Vault(platform, homePaths(home));
  await vault.update((tx) => {
    tx.put(`connection/default/${provider}/${connection}`, {
      profile: "default",
      provider,
      connection_name: connection,
      auth_type: "oauth2",
      status: fields.status ?? "connected",
      access_token: fields.accessToken,
      refresh_token: fields.refreshToken,
      token_type: "Bearer",
      scopes: ["read"],
      expires_at: fields.expiresAt,
      obtained_at: "2026-01-01T00:00:00Z",
      metadata: {},
    });
    tx.put(`client/default/${provider}`, {
      client_id: fields.clientId ?? "authsome-test",
      client_secret: null,
      source: "user_supplied",
    });
    tx.put(`provider/default/${provider}`, { default_connection: connection });
  });
}

/** An RFC 3339 time `seconds` from now. */
export function fromNow(seconds: number): string {
  return new Date(Date.now() + seconds * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/**
 * A private home with the `fakehub` provider pointing at a fresh fake authorization server, and
 * a `cli` that runs the real CLI against both. `env` is every run's environment on top of
 * `oauthEnv` (by default the user-supplied client id); `cli`'s `extra` adds to it per run.
 */
export async function fakeHubSetUp(options: {
  server?: FakeAuthServerOptions;
  env?: Record<string, string>;
} = {}) {
  const env = options.env ?? { FAKEHUB_CLIENT_ID: "authsome-test" };
  const dir = await tempHome();
  await Deno.mkdir(dir.home, { mode: 0o700 });
  const server = await startFakeAuthServer(options.server);
  await writeProvider(dir.home, server.url);
  const cli = (args: string[], extra: Record<string, string> = {}) =>
    runCli(args, { home: dir.home, env: oauthEnv({ ...env, ...extra }) });
  return {
    home: dir.home,
    server,
    cli,
    async [Symbol.asyncDispose]() {
      await server.close();
      await dir[Symbol.asyncDispose]();
    },
  };
}
