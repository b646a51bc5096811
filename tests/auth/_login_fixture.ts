/**
 * An in-process OAuth login against the fake authorization server: the custom provider
 * `fakehub` (endpoints on the server, or `{base_url}` templates), a scripted "browser" that
 * follows the authorization redirect to the login's loopback listener, and the provider's
 * client id and secret from the environment.
 */
import { accessConnection } from "../../src/auth/access.ts";
import { loadConnection } from "../../src/auth/connections.ts";
import { type LoginResult } from "../../src/auth/login_api_key.ts";
import { loginWithOAuth, type OAuthLoginUi } from "../../src/auth/login_oauth.ts";
import { logout } from "../../src/auth/logout.ts";
import { revokeRemotely } from "../../src/auth/remote_revoke.ts";
import type { Connection } from "../../src/model/connection.ts";
import type { OAuthFlow, OAuthProviderDefinition } from "../../src/model/provider.ts";
import { Secret } from "../../src/model/secret.ts";
import {
  clearProxyEnv,
  type FakeAuthServer,
  type FakeAuthServerOptions,
  startFakeAuthServer,
} from "../_fakes/oauth_server.ts";
import { oauthProvider, type TestContext, testContext } from "./_context.ts";

/** Options of {@linkcode loginFixture}. */
export interface LoginFixtureOptions {
  server?: FakeAuthServerOptions;
  /** Fields of the definition's `oauth` block (over the fake server's endpoints). */
  block?: Record<string, unknown> | ((server: FakeAuthServer) => Record<string, unknown>);
  /** Top-level definition fields. */
  overrides?: Record<string, unknown>;
  /** Use `{base_url}` templates instead of the server's URL. */
  templated?: boolean;
  env?: Record<string, string>;
}

/** A context, the server, and the login, access and logout use cases wired to them. */
export interface LoginFixture extends TestContext {
  server: FakeAuthServer;
  /** URLs the scripted browser was given. */
  opened: string[];
  /** Secrets the login asked for (labels). */
  asked: string[];
  login(options?: { flow?: OAuthFlow; baseUrl?: string }): Promise<LoginResult>;
  stored(): Promise<Connection>;
  access(): ReturnType<typeof accessConnection>;
  logout(): ReturnType<typeof logout>;
}

/** Follows redirects like a browser, stopping at the first non-redirect answer. */
async function browse(url: string): Promise<void> {
  for (let hop = 0; hop < 10; hop++) {
    const response = await fetch(url, { redirect: "manual" });
    await response.body?.cancel();
    const location = response.headers.get("location");
    if (!location || response.status < 300 || response.status >= 400) return;
    url = new URL(location, url).toString();
  }
}

/** Builds the fixture; dispose it to close the server and remove the home. */
export async function loginFixture(options: LoginFixtureOptions = {}): Promise<LoginFixture> {
  clearProxyEnv();
  const server = await startFakeAuthServer(options.server);
  try {
    const base = options.templated ? "{base_url}" : server.url;
    const raw = oauthProvider("fakehub", base, {
      client: { client_id_env: "FAKEHUB_CLIENT_ID", client_secret_env: "FAKEHUB_CLIENT_SECRET" },
      ...options.overrides,
    }, {
      device_authorization_url: `${base}/device/code`,
      ...(typeof options.block === "function" ? options.block(server) : options.block),
    });
    const env = { FAKEHUB_CLIENT_ID: "authsome-test", ...options.env };
    const t = await testContext({ providers: [raw], env, now: Date.now() });
    const opened: string[] = [];
    const asked: string[] = [];
    const ui: OAuthLoginUi = {
      askClientId: () => Promise.reject(new Error("the test gives the client id in the env")),
      collectSecret: (request) => {
        asked.push(request.label);
        const value = request.envVar ? env[request.envVar as keyof typeof env] : undefined;
        return Promise.resolve(new Secret(value ?? ""));
      },
      showAuthorizationUrl: async (url) => {
        opened.push(url);
        await browse(url);
      },
      showDeviceCode: () => Promise.resolve(),
    };
    const definition = async () =>
      (await t.ctx.providers()).get("fakehub") as OAuthProviderDefinition;
    return {
      ...t,
      server,
      opened,
      asked,
      login: async (login = {}) =>
        loginWithOAuth(t.ctx, await definition(), {
          force: true,
          flow: login.flow ?? "pkce",
          port: 0,
          baseUrl: login.baseUrl,
        }, ui),
      stored: async () =>
        await loadConnection(await t.ctx.vault.read(), "default", "fakehub", undefined),
      access: () => accessConnection(t.ctx, "fakehub", {}),
      logout: async () => logout(t.ctx, await definition(), { revoker: revokeRemotely }),
      async [Symbol.asyncDispose]() {
        await server.close();
        await t[Symbol.asyncDispose]();
      },
    };
  } catch (error) {
    await server.close();
    throw error;
  }
}
