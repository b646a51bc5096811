import assert from "node:assert/strict";
import { UsageError } from "../../src/errors.ts";
import {
  checkName,
  clientFromData,
  clientToData,
  connectionFromData,
  connectionToData,
  newApiKeyConnection,
  providerStateFromData,
  providerStateToData,
  RecordId,
} from "../../src/model/connection.ts";
import { Secret } from "../../src/model/secret.ts";

const STORED = {
  profile: "work",
  provider: "github",
  connection_name: "ci",
  auth_type: "oauth2",
  status: "expired",
  access_token: "gho_accesstokenvalue123",
  refresh_token: "ghr_refreshtokenvalue456",
  token_type: "Bearer",
  scopes: ["repo", "read:org"],
  expires_at: "2026-11-25T13:00:00Z",
  obtained_at: "2026-11-25T12:00:00Z",
  api_key: null,
  base_url: "https://github.example.com",
  host_url: "api.github.com",
  last_refresh_at: "2026-11-25T12:55:00.123Z",
  last_refresh_error: "connection timed out",
  metadata: { login: "octocat", nested: { id: 1 } },
  // Written by a newer version: must survive a rewrite untouched.
  future_field: { kind: "dpop", jkt: "abc" },
  rotation_count: 3,
};

Deno.test("connectionFromData/connectionToData round-trip every field, unknown ones included", () => {
  const connection = connectionFromData(structuredClone(STORED));
  assert.equal(connection.connectionName, "ci");
  assert.equal(connection.authType, "oauth2");
  assert.equal(connection.status, "expired");
  assert.deepEqual(connection.scopes, ["repo", "read:org"]);
  assert.deepEqual(connection.extra, {
    future_field: { kind: "dpop", jkt: "abc" },
    rotation_count: 3,
  });
  assert.deepEqual(connectionToData(connection), STORED);
});

Deno.test("connection secrets are Secrets in memory and plain strings only in the stored form", () => {
  const connection = connectionFromData(structuredClone(STORED));
  assert.ok(connection.accessToken instanceof Secret);
  assert.equal(connection.accessToken.reveal(), STORED.access_token);
  assert.equal(connection.refreshToken?.reveal(), STORED.refresh_token);
  assert.equal(connection.apiKey, null);
  const printed = JSON.stringify(connection) + Deno.inspect(connection, { depth: 10 });
  assert.ok(!printed.includes(STORED.access_token), "access token leaked when printed");
  assert.ok(!printed.includes(STORED.refresh_token), "refresh token leaked when printed");
  const data = connectionToData(connection);
  assert.equal(data.access_token, STORED.access_token);
  assert.equal(data.refresh_token, STORED.refresh_token);
});

Deno.test("an API-key record round-trips its key", () => {
  const stored = {
    ...STORED,
    auth_type: "api_key",
    status: "connected",
    access_token: null,
    refresh_token: null,
    api_key: "sk-proj-0123456789",
  };
  const connection = connectionFromData(structuredClone(stored));
  assert.equal(connection.authType, "api_key");
  assert.equal(connection.apiKey?.reveal(), "sk-proj-0123456789");
  assert.deepEqual(connectionToData(connection), stored);
});

Deno.test("connectionFromData fills defaults for a sparse or odd record", () => {
  const connection = connectionFromData({
    provider: "openai",
    status: "weird",
    scopes: ["a", 7, "b"],
    metadata: "not an object",
    access_token: "",
  });
  assert.equal(connection.profile, "default");
  assert.equal(connection.connectionName, "default");
  assert.equal(connection.status, "connected");
  assert.equal(connection.authType, "api_key");
  assert.deepEqual(connection.scopes, ["a", "b"]);
  assert.deepEqual(connection.metadata, {});
  assert.equal(connection.accessToken, null);
  assert.equal(connectionFromData({ status: "invalid" }).status, "invalid");
});

Deno.test("newApiKeyConnection makes a connected record holding only the key", () => {
  const connection = newApiKeyConnection(
    {
      profile: "default",
      provider: "openai",
      connectionName: "ci",
      apiKey: new Secret("sk-1234567"),
    },
    "2026-11-25T12:00:00Z",
    "api.openai.com",
  );
  const data = connectionToData(connection);
  assert.equal(data.status, "connected");
  assert.equal(data.auth_type, "api_key");
  assert.equal(data.api_key, "sk-1234567");
  assert.equal(data.access_token, null);
  assert.equal(data.refresh_token, null);
  assert.equal(data.expires_at, null);
  assert.equal(data.obtained_at, "2026-11-25T12:00:00Z");
  assert.equal(data.host_url, "api.openai.com");
});

Deno.test("checkName accepts ordinary profile and connection names", () => {
  for (const name of ["default", "ci", "work-2", "a.b_c", "X", "9lives", "a".repeat(64)]) {
    assert.equal(checkName("connection", name), name);
  }
});

Deno.test("checkName refuses names that could escape a record id or are too long", () => {
  for (
    const name of ["../x", "a/b", "", "a".repeat(65), "..", ".hidden", "a..b", "-x", "a b", "é"]
  ) {
    assert.throws(() => checkName("connection", name), (error: unknown) => {
      assert.ok(error instanceof UsageError, `${name}: ${error}`);
      assert.equal(error.exitCode, 2);
      assert.match(error.message, /^invalid connection name/);
      return true;
    }, `"${name}" must be refused`);
  }
  assert.throws(() => checkName("profile", "a/b"), /invalid profile name "a\/b"/);
});

Deno.test("RecordId: ids and prefixes nest, and one provider's prefix never matches another's", () => {
  const id = RecordId.connection("default", "github", "ci");
  assert.equal(id, "connection/default/github/ci");
  assert.ok(id.startsWith(RecordId.connectionsOf("default", "github")));
  assert.ok(id.startsWith(RecordId.connectionsIn("default")));
  assert.ok(!id.startsWith(RecordId.connectionsOf("default", "git")));
  assert.ok(!id.startsWith(RecordId.connectionsIn("def")));
  assert.equal(RecordId.client("work", "github"), "client/work/github");
  assert.equal(RecordId.providerState("work", "github"), "provider/work/github");
  assert.notEqual(RecordId.client("a", "b"), RecordId.providerState("a", "b"));
});

Deno.test("client records round-trip, secret and registration data included", () => {
  const stored = {
    client_id: "abc123",
    client_secret: "s3cr3t-client-value",
    source: "dcr",
    registration: { registration_access_token: "rat", client_id_issued_at: 1 },
    future: [1, 2],
  };
  const client = clientFromData(structuredClone(stored));
  assert.equal(client.clientId, "abc123");
  assert.equal(client.source, "dcr");
  assert.equal(String(client.clientSecret), "[redacted]");
  assert.equal(client.clientSecret?.reveal(), "s3cr3t-client-value");
  assert.deepEqual(client.extra, { future: [1, 2] });
  assert.deepEqual(clientToData(client), stored);
  assert.equal(clientFromData({ source: "env" }).source, "env");
  assert.equal(clientFromData({ source: "??" }).source, "user_supplied");
  assert.deepEqual(clientToData(clientFromData({ client_id: "x" })), {
    client_id: "x",
    client_secret: null,
    source: "user_supplied",
    registration: null,
  });
});

Deno.test("provider state: missing means default 'default'; unknown fields survive", () => {
  assert.deepEqual(providerStateFromData(null), { defaultConnection: "default", extra: {} });
  const stored = { default_connection: "work", pinned: true };
  const state = providerStateFromData(structuredClone(stored));
  assert.equal(state.defaultConnection, "work");
  assert.deepEqual(providerStateToData(state), stored);
});
