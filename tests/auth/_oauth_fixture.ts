/**
 * An OAuth2 connection in a test vault, wired to the fake authorization server: the custom
 * provider `fakehub` (token endpoint on the server, or on `tokenUrl`), a public client, and a
 * stored connection whose refresh token the server knows. The clock starts at `now`.
 */
import { loadConnection } from "../../src/auth/connections.ts";
import type { Connection } from "../../src/model/connection.ts";
import { Secret } from "../../src/model/secret.ts";
import { clearProxyEnv, type FakeAuthServer, startFakeAuthServer } from "../_fakes/oauth_server.ts";
import {
  connection,
  oauthProvider,
  store,
  storeClient,
  type TestContext,
  testContext,
} from "./_context.ts";

/** `expires_at` of the seeded access token. */
export const EXPIRES = Date.parse("2026-11-25T12:00:00Z");
export const EXPIRES_AT = "2026-11-25T12:00:00Z";
export const OLD_ACCESS = "fakehub-old-access-token";
export const OLD_REFRESH = "fakehub-old-refresh-token";
export const CLIENT_ID = "authsome-test";

/** A test context plus the fake server. */
export interface OAuthFixture extends TestContext {
  server: FakeAuthServer;
  /** The stored connection as it is now. */
  stored(): Promise<Connection>;
  /** Token requests the server has received. */
  tokenRequests(): number;
}

/** Options of {@linkcode oauthFixture}. */
export interface OAuthFixtureOptions {
  /** Clock at start, in ms. */
  now: number;
  /** Overrides the stored connection. */
  connection?: Partial<Connection>;
  /** Token endpoint base URL instead of the fake server (e.g. a refused URL). */
  tokenBase?: string;
  env?: Record<string, string>;
}

/** Builds the fixture; dispose it to close the server and remove the home. */
export async function oauthFixture(options: OAuthFixtureOptions): Promise<OAuthFixture> {
  clearProxyEnv();
  const server = await startFakeAuthServer();
  try {
    server.seedGrant({ refreshToken: OLD_REFRESH, accessToken: OLD_ACCESS, clientId: CLIENT_ID });
    const raw = oauthProvider("fakehub", options.tokenBase ?? server.url);
    const t = await testContext({ now: options.now, providers: [raw], env: options.env });
    await store(
      t.ctx,
      connection({
        provider: "fakehub",
        authType: "oauth2",
        accessToken: new Secret(OLD_ACCESS),
        refreshToken: new Secret(OLD_REFRESH),
        tokenType: "Bearer",
        scopes: ["read"],
        expiresAt: EXPIRES_AT,
        obtainedAt: "2026-11-25T11:00:00Z",
        ...options.connection,
      }),
    );
    await storeClient(t.ctx, "fakehub", CLIENT_ID);
    return {
      ...t,
      server,
      stored: async () =>
        await loadConnection(await t.ctx.vault.read(), "default", "fakehub", undefined),
      tokenRequests: () => server.tokenRequests().length,
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
