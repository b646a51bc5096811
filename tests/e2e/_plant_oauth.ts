// Writes OAuth2 connections (and their OAuth client) into the vault of the home named by the
// first argument, using authsome's own vault code: the state a completed OAuth login leaves.
// Reads a JSON array of `PlantedOAuth` (see _helpers.ts) on stdin.
import { saveClient } from "../../src/auth/clients.ts";
import { saveConnection } from "../../src/auth/connections.ts";
import type { Connection } from "../../src/model/connection.ts";
import { rfc3339 } from "../../src/model/timestamp.ts";
import { homePaths } from "../../src/model/home.ts";
import { Secret } from "../../src/model/secret.ts";
import { denoPlatform } from "../../src/platform/deno.ts";
import { Vault } from "../../src/vault/vault.ts";
import type { PlantedOAuth } from "./_helpers.ts";

const planted = JSON.parse(await new Response(Deno.stdin.readable).text()) as PlantedOAuth[];
const vault = new Vault(denoPlatform(), homePaths(Deno.args[0]));
const now = Date.now();
await vault.update(async (tx) => {
  for (const p of planted) {
    const profile = p.profile ?? "default";
    const connection: Connection = {
      profile,
      provider: p.provider,
      connectionName: p.connection ?? "default",
      authType: "oauth2",
      status: "connected",
      accessToken: new Secret(p.accessToken),
      refreshToken: new Secret(p.refreshToken),
      tokenType: "Bearer",
      scopes: p.scopes ?? [],
      expiresAt: rfc3339(now + (p.expiresIn ?? 7200) * 1000),
      obtainedAt: rfc3339(now),
      apiKey: null,
      baseUrl: null,
      hostUrl: null,
      lastRefreshAt: null,
      lastRefreshError: null,
      metadata: {},
      extra: {},
    };
    await saveConnection(tx, connection);
    if (p.clientId) {
      saveClient(tx, profile, p.provider, {
        clientId: p.clientId,
        clientSecret: p.clientSecret ? new Secret(p.clientSecret) : null,
        source: "user_supplied",
        registration: null,
        extra: {},
      });
    }
  }
});
