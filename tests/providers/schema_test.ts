import assert from "node:assert/strict";
import { validateProvider } from "../../src/providers/schema.ts";
import { apiKey, oauth, ORIGIN, rejects } from "./fixtures.ts";

Deno.test("schema: a minimal oauth2 definition gets its defaults", () => {
  const d = validateProvider(oauth(), ORIGIN);
  assert.equal(d.auth_type, "oauth2");
  if (d.auth_type !== "oauth2") return;
  assert.deepEqual(d.oauth, {
    authorization_url: "https://auth.acme.test/authorize",
    token_url: "https://auth.acme.test/token",
    revocation_url: null,
    device_authorization_url: null,
    registration_endpoint: null,
    base_url: null,
    scopes: ["read"],
    pkce: true,
    supports_device_flow: false,
    supports_dcr: false,
    device_token_request: "oauth2_form",
    header_prefix: null,
    issuer: null,
    token_endpoint_auth_method: null,
    registration_token_env: null,
    redirect_host: null,
  });
  assert.deepEqual(d.export.env, {});
  assert.deepEqual(d.client, { client_id_env: null, client_secret_env: null });
  assert.equal(d.docs, null);
  assert.equal(d.api_key, undefined);
});

Deno.test("schema: a minimal api_key definition gets Authorization: Bearer", () => {
  const d = validateProvider(
    apiKey({}, { header_name: undefined, header_prefix: undefined }),
    ORIGIN,
  );
  assert.equal(d.host_url, null);
  assert.deepEqual(d.api_key, {
    header_name: "Authorization",
    header_prefix: "Bearer",
    basic_auth: null,
    env_var: null,
    key_pattern: null,
    key_pattern_hint: null,
  });
  const raw = validateProvider(apiKey(), ORIGIN);
  assert.equal(raw.api_key?.header_prefix, "", "an empty prefix means the raw key");
});

Deno.test("schema: basic_auth sends the key with HTTP Basic and refuses a conflicting header", () => {
  const d = validateProvider(
    apiKey({}, { header_name: undefined, header_prefix: undefined, basic_auth: "key_as_password" }),
    ORIGIN,
  );
  assert.equal(d.api_key?.basic_auth, "key_as_password");
  assert.equal(d.api_key?.header_prefix, "Basic");
  assert.throws(
    () => validateProvider(apiKey({}, { basic_auth: "key_as_login" }), ORIGIN),
    /api_key\.basic_auth: must be one of "key_as_username", "key_as_password", got "key_as_login"/,
  );
  assert.throws(
    () =>
      validateProvider(
        apiKey({}, {
          header_name: "X-Api-Key",
          header_prefix: undefined,
          basic_auth: "key_as_username",
        }),
        ORIGIN,
      ),
    /api_key\.basic_auth: sends "Authorization: Basic \.\.\."; leave header_name and header_prefix out/,
  );
});

Deno.test("schema: unknown fields are kept in raw, which is a copy", () => {
  const future = { a: 1 };
  const d = validateProvider(oauth({ future_field: future }, { flows: { x: 1 } }), ORIGIN);
  assert.deepEqual(d.raw.future_field, { a: 1 });
  assert.deepEqual((d.raw.oauth as Record<string, unknown>).flows, { x: 1 });
  future.a = 2;
  assert.deepEqual(d.raw.future_field, { a: 1 });
});

Deno.test("schema: names must be safe, lower-case and short", () => {
  for (const name of ["../x", "a/b", "a..b", "Acme", "-acme", ".acme", "", "a b", "x".repeat(65)]) {
    rejects(oauth({ name }), "name", /not a valid provider name|must not be empty/);
  }
  assert.throws(
    () => validateProvider(oauth({ name: "../x" }), ORIGIN),
    /providers\/acme\.json: name: "\.\.\/x" is not a valid provider name: .*no '\/' or '\.\.'/,
  );
  for (const name of ["a", "klaviyo-oauth", "my_api.v2", "0x", "x".repeat(64)]) {
    assert.equal(validateProvider(oauth({ name }), ORIGIN).name, name);
  }
  rejects(oauth({ name: 7 }), "name", /must be a string, got a number/);
  rejects(oauth({ name: undefined }), "name", /is required/);
});

Deno.test("schema: schema_version, when given, must be 1", () => {
  rejects(oauth({ schema_version: 2 }), "schema_version", /unsupported value 2/);
  rejects(oauth({ schema_version: "1" }), "schema_version", /unsupported value "1"/);
});

Deno.test("schema: not an object", () => {
  for (const raw of [null, [], "x", 1]) {
    assert.throws(() => validateProvider(raw, ORIGIN), /^ProviderDefinitionError/);
    assert.throws(
      () => validateProvider(raw, ORIGIN),
      /providers\/acme\.json: must be a JSON object/,
    );
  }
});

Deno.test("schema: auth_type and flow must be known and compatible", () => {
  rejects(oauth({ auth_type: "basic" }), "auth_type", /must be one of "oauth2", "api_key"/);
  rejects(oauth({ flow: "implicit" }), "flow", /must be one of/);
  rejects(oauth({ flow: "api_key" }), "flow", /cannot be used with auth_type "oauth2"/);
  rejects(apiKey({ flow: "pkce" }), "flow", /cannot be used with auth_type "api_key"/);
  rejects(oauth({ display_name: "" }), "display_name", /must not be empty/);
});

Deno.test("schema: the block for the auth_type is required, the other is refused", () => {
  rejects(oauth({ oauth: undefined }), "oauth", /is required when auth_type is "oauth2"/);
  rejects(apiKey({ api_key: undefined }), "api_key", /is required when auth_type is "api_key"/);
  rejects(oauth({ oauth: "x" }), "oauth", /must be an object, got a string/);
  rejects(oauth({ api_key: {} }), "api_key", /is not allowed when auth_type is "oauth2"/);
  rejects(apiKey({ oauth: {} }), "oauth", /is not allowed when auth_type is "api_key"/);
  rejects(oauth({}, { token_url: undefined }), "oauth.token_url", /is required/);
  rejects(oauth({}, { authorization_url: null }), "oauth.authorization_url", /is required/);
});

Deno.test("schema: wrong types of known fields", () => {
  rejects(oauth({}, { scopes: "read write" }), "oauth.scopes", /must be an array, got a string/);
  rejects(oauth({}, { scopes: ["read", 3] }), "oauth.scopes[1]", /non-empty string without spaces/);
  rejects(oauth({}, { scopes: ["read write"] }), "oauth.scopes[0]", /without spaces/);
  rejects(oauth({}, { pkce: "yes" }), "oauth.pkce", /must be true or false, got a string/);
  rejects(oauth({}, { supports_dcr: 1 }), "oauth.supports_dcr", /must be true or false/);
  rejects(oauth({ export: [] }), "export", /must be an object, got an array/);
  rejects(
    oauth({ export: { env: { token: "X" } } }),
    "export.env.token",
    /unknown credential field/,
  );
  rejects(
    oauth({ export: { env: { access_token: 1 } } }),
    "export.env.access_token",
    /must be a string/,
  );
  rejects(oauth({ metadata: "x" }), "metadata", /must be an object/);
  rejects(apiKey({}, { header_prefix: 1 }), "api_key.header_prefix", /must be a string/);
  rejects(
    apiKey({}, { header_name: "X Api Key" }),
    "api_key.header_name",
    /not a valid HTTP header name/,
  );
  rejects(
    apiKey({}, { header_prefix: "Bearer\r\nX: y" }),
    "api_key.header_prefix",
    /control characters/,
  );
  rejects(apiKey({}, { key_pattern_hint: [] }), "api_key.key_pattern_hint", /must be a string/);
});

Deno.test("schema: environment variable names", () => {
  for (const bad of ["acme_key", "1KEY", "ACME-KEY", ""]) {
    rejects(
      apiKey({}, { env_var: bad }),
      "api_key.env_var",
      /not a valid environment variable name/,
    );
    rejects(
      oauth({ client: { client_id_env: bad } }),
      "client.client_id_env",
      /environment variable/,
    );
    rejects(
      oauth({ export: { env: { refresh_token: bad } } }),
      "export.env.refresh_token",
      /environment/,
    );
  }
  const d = validateProvider(
    oauth({
      client: { client_id_env: "ACME_CLIENT_ID", client_secret_env: "_SECRET2" },
      export: { env: { access_token: "ACME_TOKEN" } },
    }),
    ORIGIN,
  );
  assert.deepEqual(d.client, { client_id_env: "ACME_CLIENT_ID", client_secret_env: "_SECRET2" });
  assert.deepEqual(d.export.env, { access_token: "ACME_TOKEN" });
});

Deno.test("schema: key_pattern must compile", () => {
  rejects(
    apiKey({}, { key_pattern: "^(sk-" }),
    "api_key.key_pattern",
    /invalid regular expression/,
  );
  const d = validateProvider(
    apiKey({}, { key_pattern: "^ak_[a-z]+$", key_pattern_hint: "ak_…" }),
    ORIGIN,
  );
  assert.equal(d.api_key?.key_pattern, "^ak_[a-z]+$");
});

Deno.test("schema: the OAuth hardening fields are checked", () => {
  const base = {
    authorization_url: "https://as.example/authorize",
    token_url: "https://as.example/token",
  };
  const ok = validateProvider({
    schema_version: 1,
    name: "hard",
    display_name: "Hard",
    auth_type: "oauth2",
    flow: "pkce",
    oauth: {
      ...base,
      issuer: "https://as.example/tenant",
      token_endpoint_auth_method: "client_secret_basic",
      registration_token_env: "HARD_IAT",
      redirect_host: "[::1]",
    },
  }, "hard.json");
  assert.equal(ok.oauth?.issuer, "https://as.example/tenant");
  assert.equal(ok.oauth?.token_endpoint_auth_method, "client_secret_basic");
  assert.equal(ok.oauth?.registration_token_env, "HARD_IAT");
  assert.equal(ok.oauth?.redirect_host, "[::1]");
  const bad: [Record<string, unknown>, RegExp][] = [
    [
      { token_endpoint_auth_method: "private_key_jwt" },
      /oauth\.token_endpoint_auth_method: must be one of/,
    ],
    [{ issuer: "http://as.example" }, /oauth\.issuer: must be an https URL/],
    [
      { registration_token_env: "not valid" },
      /oauth\.registration_token_env: .*not a valid environment variable/,
    ],
    [
      { redirect_host: "localhost" },
      /oauth\.redirect_host: must be one of "127\.0\.0\.1", "\[::1\]"/,
    ],
  ];
  for (const [extra, message] of bad) {
    assert.throws(() =>
      validateProvider({
        schema_version: 1,
        name: "hard",
        display_name: "Hard",
        auth_type: "oauth2",
        flow: "pkce",
        oauth: { ...base, ...extra },
      }, "hard.json"), message);
  }
});
