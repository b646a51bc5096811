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

Deno.test("normalizeKey gives what the regular-expression definition gives, on random names", () => {
  const reference = (key: string) =>
    key.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toLowerCase().replace(/[^a-z0-9]+/g, "_")
      .replace(/^_+|_+$/g, "");
  const alphabet = ["a", "z", "A", "Z", "0", "9", "_", "-", ".", " ", "É", "é", "\u212A", "İ", "ß"];
  let seed = 7;
  const next = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
  for (let i = 0; i < 20_000; i++) {
    let key = "";
    const length = Math.floor(next() * 10);
    for (let j = 0; j < length; j++) key += alphabet[Math.floor(next() * alphabet.length)];
    assert.equal(normalizeKey(key), reference(key), JSON.stringify(key));
  }
  for (const key of ["to\u212Aen", "İd_token", "aBC", "a1B2C", "1A", "clientSecret", "X-API-Key"]) {
    assert.equal(normalizeKey(key), reference(key), key);
  }
});
