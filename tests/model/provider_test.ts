import assert from "node:assert/strict";
import {
  AUTH_TYPES,
  EXPORT_FIELDS,
  FLOWS,
  OAUTH_FLOWS,
  PROVIDER_SCHEMA_VERSION,
  type ProviderDefinition,
} from "../../src/model/provider.ts";
import { validateProvider } from "../../src/providers/schema.ts";

Deno.test("model: the enumerations match the contract", () => {
  assert.equal(PROVIDER_SCHEMA_VERSION, 1);
  assert.deepEqual([...AUTH_TYPES], ["oauth2", "api_key"]);
  assert.deepEqual([...FLOWS], ["pkce", "device_code", "dcr_pkce", "api_key"]);
  assert.deepEqual([...OAUTH_FLOWS], ["pkce", "device_code", "dcr_pkce"]);
  assert.deepEqual([...EXPORT_FIELDS], ["access_token", "refresh_token", "api_key"]);
});

Deno.test("model: auth_type narrows to the block that is present", () => {
  const d: ProviderDefinition = validateProvider({
    schema_version: 1,
    name: "k",
    display_name: "K",
    auth_type: "api_key",
    flow: "api_key",
    api_key: {},
  }, "test");
  if (d.auth_type === "api_key") {
    assert.equal(d.api_key.header_name, "Authorization");
    assert.equal(d.oauth, undefined);
  } else {
    assert.fail("expected an api_key definition");
  }
});
