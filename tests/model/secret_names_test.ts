import assert from "node:assert/strict";
import { isDescriptorKey, isSecretKey, normalizeKey } from "../../src/model/secret_names.ts";

Deno.test("secret-holding names are recognised in every spelling", () => {
  for (
    const key of [
      "token",
      "access_token",
      "refresh_token",
      "id_token",
      "secret",
      "client_secret",
      "clientSecret",
      "Client-Secret",
      "password",
      "passwd",
      "passphrase",
      "api_key",
      "apiKey",
      "X-Api-Key",
      "apikey",
      "Authorization",
      "Proxy-Authorization",
      "code",
      "code_verifier",
      "device_code",
      "Cookie",
      "private_key",
      "master_key",
      "client_assertion",
      "pwd",
      "session_id",
    ]
  ) {
    assert.equal(isSecretKey(key), true, key);
  }
});

Deno.test("names describing a secret, or merely containing 'code', are not secrets", () => {
  for (
    const key of [
      "token_url",
      "tokenUrl",
      "token_type",
      "token_endpoint",
      "expires_in",
      "status_code",
      "exit_code",
      "user_code",
      "error_code",
      "verification_uri",
      "api_key_header",
      "secret_env",
      "password_length",
      "token_expires_at",
      "client_id",
      "provider",
      "scope",
      "",
      "__",
    ]
  ) {
    assert.equal(isSecretKey(key), false, key);
  }
});

Deno.test("normalizeKey folds case, camelCase and separators", () => {
  assert.equal(normalizeKey("clientSecret"), "client_secret");
  assert.equal(normalizeKey("Client-Secret"), "client_secret");
  assert.equal(normalizeKey("  X.Api Key "), "x_api_key");
  assert.equal(normalizeKey("__token__"), "token");
  assert.equal(isDescriptorKey("token_url"), true);
  assert.equal(isDescriptorKey("access_token"), false);
});
