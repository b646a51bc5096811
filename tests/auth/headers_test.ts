import assert from "node:assert/strict";
import { authHeader } from "../../src/auth/headers.ts";
import { CredentialMissingError } from "../../src/errors.ts";
import { Secret } from "../../src/model/secret.ts";
import { apiKeyProvider, connection, definition, oauthProvider } from "./_context.ts";

const OAUTH = definition(oauthProvider("hub", "https://auth.hub.test"));

function keyed(block: Record<string, unknown>) {
  const def = definition(apiKeyProvider("acme", block));
  const conn = connection({ provider: "acme", apiKey: new Secret("acme-key-123456") });
  return authHeader(def, conn);
}

function oauth(tokenType: string | null) {
  const conn = connection({
    provider: "hub",
    authType: "oauth2",
    accessToken: new Secret("hub-access-token-1"),
    tokenType,
  });
  return authHeader(OAUTH, conn);
}

Deno.test("API key: the provider's header name and prefix", () => {
  const header = keyed({ header_name: "X-Api-Key", header_prefix: "Token" });
  assert.equal(header.name, "X-Api-Key");
  assert.equal(header.value.reveal(), "Token acme-key-123456");
  assert.equal(String(header.value), "[redacted]");
});

Deno.test("API key: an empty prefix sends the raw key", () => {
  const header = keyed({ header_name: "x-goog-api-key", header_prefix: "" });
  assert.equal(header.name, "x-goog-api-key");
  assert.equal(header.value.reveal(), "acme-key-123456");
});

Deno.test("API key: defaults are Authorization: Bearer <key>", () => {
  const header = keyed({});
  assert.equal(header.name, "Authorization");
  assert.equal(header.value.reveal(), "Bearer acme-key-123456");
});

Deno.test("API key: HTTP Basic with the key as user name or as password (RFC 7617)", () => {
  const asUser = keyed({ basic_auth: "key_as_username" });
  assert.equal(asUser.name, "Authorization");
  // base64("acme-key-123456:") as curl -u acme-key-123456: sends it.
  assert.equal(asUser.value.reveal(), `Basic ${btoa("acme-key-123456:")}`);
  assert.equal(asUser.value.reveal(), "Basic YWNtZS1rZXktMTIzNDU2Og==");
  const asPassword = keyed({ basic_auth: "key_as_password" });
  assert.equal(asPassword.value.reveal(), `Basic ${btoa(":acme-key-123456")}`);
  assert.equal(String(asPassword.value), "[redacted]");
});

Deno.test("OAuth2: Bearer, whatever the case of the stored token type", () => {
  for (const type of [null, "Bearer", "bearer", "BEARER"]) {
    const header = oauth(type);
    assert.equal(header.name, "Authorization");
    assert.equal(header.value.reveal(), "Bearer hub-access-token-1", String(type));
  }
});

Deno.test("OAuth2: the token type is never sent as the Authorization scheme", () => {
  assert.equal(oauth("DPoP").value.reveal(), "Bearer hub-access-token-1");
  assert.equal(oauth("MAC").value.reveal(), "Bearer hub-access-token-1");
  // Slack's bot tokens are bearer tokens with another name.
  assert.equal(oauth("bot").value.reveal(), "Bearer hub-access-token-1");
});

Deno.test("OAuth2: a provider's fixed header_prefix wins over the token type; empty sends the raw token", () => {
  const conn = connection({
    provider: "hub",
    authType: "oauth2",
    accessToken: new Secret("pos_token_1"),
    tokenType: "Bearer",
  });
  const raw = definition(oauthProvider("hub", "https://auth.hub.test", {}, { header_prefix: "" }));
  assert.equal(authHeader(raw, conn).value.reveal(), "pos_token_1");
  const custom = definition(
    oauthProvider("hub", "https://auth.hub.test", {}, { header_prefix: "Token" }),
  );
  assert.equal(authHeader(custom, conn).value.reveal(), "Token pos_token_1");
});

Deno.test("a connection without its credential is exit 5 with the login hint", () => {
  const def = definition(apiKeyProvider("acme"));
  for (
    const [d, conn] of [
      [def, connection({ provider: "acme" })],
      [OAUTH, connection({ provider: "hub", authType: "oauth2" })],
    ] as const
  ) {
    assert.throws(() => authHeader(d, conn), (error: unknown) => {
      assert.ok(error instanceof CredentialMissingError);
      assert.equal(error.exitCode, 5);
      assert.equal(error.hint, `authsome login ${conn.provider} --force`);
      return true;
    });
  }
  const named = connection({ provider: "acme", connectionName: "ci", profile: "work" });
  assert.throws(() => authHeader(def, named), (error: unknown) => {
    assert.ok(error instanceof CredentialMissingError);
    assert.equal(error.hint, "authsome login acme --connection ci --profile work --force");
    return true;
  });
});
