import assert from "node:assert/strict";
import { clientFromEnv, findClient, loadClient, saveClient } from "../../src/auth/clients.ts";
import { Secret } from "../../src/model/secret.ts";
import { definition, oauthProvider, storeClient, testContext } from "./_context.ts";

Deno.test.sanitizer?.({ ops: true, resources: true });

const ACME = definition(oauthProvider("acme", "https://acme.test", {
  client: { client_id_env: "ACME_CLIENT_ID", client_secret_env: "ACME_CLIENT_SECRET" },
}));
const NO_ENV = definition(oauthProvider("plain", "https://plain.test"));

Deno.test("clientFromEnv reads the provider's client id and secret variables", async () => {
  await using t = await testContext({
    env: { ACME_CLIENT_ID: "env-client", ACME_CLIENT_SECRET: "env-secret-value" },
  });
  const client = clientFromEnv(t.ctx, ACME);
  assert.equal(client?.clientId, "env-client");
  assert.equal(client?.clientSecret?.reveal(), "env-secret-value");
  assert.equal(client?.source, "env");
  assert.equal(JSON.stringify(client), JSON.stringify({ ...client, clientSecret: "[redacted]" }));
});

Deno.test("clientFromEnv: a public client without a secret, and nothing without an id", async () => {
  await using t = await testContext({ env: { ACME_CLIENT_ID: "env-client" } });
  assert.equal(clientFromEnv(t.ctx, ACME)?.clientSecret, null);
  assert.equal(clientFromEnv(t.ctx, NO_ENV), null, "no variables declared");
  t.platform.envVars.ACME_CLIENT_ID = "";
  t.platform.envVars.ACME_CLIENT_SECRET = "env-secret-value";
  assert.equal(clientFromEnv(t.ctx, ACME), null, "an empty id is no client");
  delete t.platform.envVars.ACME_CLIENT_ID;
  assert.equal(clientFromEnv(t.ctx, ACME), null);
});

Deno.test("loadClient prefers the stored client over the environment", async () => {
  await using t = await testContext({
    env: { ACME_CLIENT_ID: "env-client", ACME_CLIENT_SECRET: "env-secret-value" },
  });
  const fromEnv = await loadClient(t.ctx, ACME);
  assert.equal(fromEnv?.clientId, "env-client");
  assert.equal(fromEnv?.clientSecret?.reveal(), "env-secret-value");

  await t.ctx.vault.update((tx) =>
    saveClient(tx, "default", "acme", {
      clientId: "stored-client",
      clientSecret: new Secret("stored-secret-value"),
      source: "user_supplied",
      registration: null,
      extra: {},
    })
  );
  const stored = await loadClient(t.ctx, ACME);
  assert.equal(stored?.clientId, "stored-client");
  assert.equal(stored?.clientSecret?.reveal(), "stored-secret-value");

  // A stored public client does not borrow the environment's secret.
  await storeClient(t.ctx, "acme", "stored-public");
  const publicClient = await loadClient(t.ctx, ACME);
  assert.equal(publicClient?.clientId, "stored-public");
  assert.equal(publicClient?.clientSecret, null);
});

Deno.test("loadClient: the stored client is per profile, and null when there is none", async () => {
  await using t = await testContext();
  assert.equal(await loadClient(t.ctx, ACME), null);
  await t.ctx.vault.update((tx) =>
    saveClient(tx, "work", "acme", {
      clientId: "work-client",
      clientSecret: null,
      source: "user_supplied",
      registration: null,
      extra: {},
    })
  );
  assert.equal(await loadClient(t.ctx, ACME), null, "another profile's client is not used");
  assert.equal(
    (await findClient(await t.ctx.vault.read(), "work", "acme"))?.clientId,
    "work-client",
  );
  assert.equal(await findClient(await t.ctx.vault.read(), "default", "acme"), null);
});
