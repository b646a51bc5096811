import assert from "node:assert/strict";
import { ProviderDefinitionError } from "../../src/errors.ts";
import { BUNDLED_PROVIDERS } from "../../src/providers/catalogue.ts";
import { validateForRegister } from "../../src/providers/unknown_fields.ts";
import { apiKey, oauth, ORIGIN } from "./fixtures.ts";

function rejected(raw: unknown): ProviderDefinitionError {
  try {
    validateForRegister(structuredClone(raw), ORIGIN);
  } catch (error) {
    assert.ok(error instanceof ProviderDefinitionError, String(error));
    return error;
  }
  assert.fail("accepted");
}

Deno.test("unknown fields: every bundled definition registers without a complaint", () => {
  assert.equal(BUNDLED_PROVIDERS.length, 44);
  for (const raw of BUNDLED_PROVIDERS) {
    assert.deepEqual(validateForRegister(structuredClone(raw), "bundled"), [], JSON.stringify(raw));
  }
});

Deno.test("unknown fields: every documented field is accepted, metadata is free-form", () => {
  const full = oauth({
    $schema: "https://authsome.example/provider.schema.json",
    docs: "https://docs.acme.test",
    metadata: { anything: { goes: true }, tier: "gold" },
    export: { env: { access_token: "ACME_TOKEN", refresh_token: "ACME_REFRESH" } },
    client: { client_id_env: "ACME_CLIENT_ID", client_secret_env: "ACME_CLIENT_SECRET" },
  }, {
    revocation_url: "https://auth.acme.test/revoke",
    device_authorization_url: "https://auth.acme.test/device",
    registration_endpoint: "https://auth.acme.test/register",
    base_url: "https://auth.acme.test",
    pkce: true,
    supports_device_flow: true,
    supports_dcr: true,
    device_token_request: "json",
    header_prefix: "token",
  });
  assert.deepEqual(validateForRegister(full, ORIGIN), []);
  const key = apiKey({ export: { env: { api_key: "ACME_KEY" } } }, {
    env_var: "ACME_KEY",
    key_pattern: "^ak_.+$",
    key_pattern_hint: "starts with ak_",
    basic_auth: null,
    header_name: "Authorization",
    header_prefix: "Bearer",
  });
  assert.deepEqual(validateForRegister(key, ORIGIN), []);
  // A predecessor file without schema_version is another helper's concern; null optional
  // fields are "not given", not unknown.
  assert.deepEqual(
    validateForRegister(oauth({ docs: null }, { revocation_url: null }), ORIGIN),
    [],
  );
});

Deno.test("unknown fields: a typo at the top level is an error with did-you-mean", () => {
  const error = rejected(oauth({ display_name: undefined, display_nmae: "Acme!" }));
  // display_name is required, so the validation error stands and the typo is the hint.
  assert.equal(error.message, `${ORIGIN}: display_name: is required`);
  assert.match(error.hint ?? "", /^display_nmae: unknown field; did you mean "display_name"\?/);
  const extra = rejected(oauth({ host_ulr: "api.acme.test" }));
  assert.equal(extra.message, `${ORIGIN}: host_ulr: unknown field; did you mean "host_url"?`);
  assert.equal(extra.exitCode, 2);
});

Deno.test("unknown fields: inside oauth, api_key, client and export blocks", () => {
  assert.equal(
    rejected(oauth({}, { scope: ["read"] })).message,
    `${ORIGIN}: oauth.scope: unknown field; did you mean "oauth.scopes"?`,
  );
  assert.equal(
    rejected(apiKey({}, { header: "X-Key" })).message,
    `${ORIGIN}: api_key.header: unknown field; did you mean "api_key.header_name"?`,
  );
  assert.equal(
    rejected(oauth({ client: { client_id_var: "ACME_ID" } })).message,
    `${ORIGIN}: client.client_id_var: unknown field; did you mean "client.client_id_env"?`,
  );
  assert.equal(
    rejected(oauth({ export: { env: { access_token: "A" }, envs: {} } })).message,
    `${ORIGIN}: export.envs: unknown field; did you mean "export.env"?`,
  );
  // export.env keys were already checked by the schema; now with a did-you-mean as the hint.
  const env = rejected(oauth({ export: { env: { acess_token: "A" } } }));
  assert.match(env.message, /export\.env\.acess_token: unknown credential field/);
  assert.match(env.hint ?? "", /did you mean "export\.env\.access_token"\?/);
});

Deno.test("unknown fields: a field at the wrong level says where it belongs", () => {
  assert.equal(
    rejected(oauth({ token_url: "https://auth.acme.test/token" })).message,
    `${ORIGIN}: token_url: unknown field; did you mean "oauth.token_url"?`,
  );
});

Deno.test("unknown fields: no close name lists the known ones; several are all named", () => {
  const error = rejected(oauth({}, { colour: "blue" }));
  assert.equal(error.message, `${ORIGIN}: oauth.colour: unknown field`);
  assert.match(error.hint ?? "", /^Known fields in oauth: authorization_url, base_url, /);
  const several = rejected(oauth({ dsplay: 1, host_ulr: "x" }, { scope: [] }));
  assert.equal(
    several.message,
    `${ORIGIN}: oauth.scope: unknown field; did you mean "oauth.scopes"?; ` +
      `dsplay: unknown field; host_ulr: unknown field; did you mean "host_url"?`,
  );
});

Deno.test("unknown fields: the newer predecessor's names are accepted with the name to use", () => {
  const renamed = validateForRegister(
    oauth({ docs_url: "https://d.test", api_url: "api.acme.test", registration: {} }, {
      supports_device_code: false,
    }),
    ORIGIN,
  );
  assert.deepEqual(renamed, [
    { path: "oauth.supports_device_code", use: "oauth.supports_device_flow" },
    { path: "docs_url", use: "docs" },
    { path: "api_url", use: "host_url" },
    { path: "registration", use: "oauth.registration_endpoint" },
  ]);
});
