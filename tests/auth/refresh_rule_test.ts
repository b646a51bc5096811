import assert from "node:assert/strict";
import { isPastExpiry, needsRefresh, REFRESH_WINDOW_MS } from "../../src/auth/refresh_rule.ts";
import { type Connection, newApiKeyConnection } from "../../src/model/connection.ts";
import { Secret } from "../../src/model/secret.ts";

const EXPIRES = Date.parse("2026-11-25T12:00:00Z");

function oauth(expiresAt: string | null): Connection {
  return {
    ...newApiKeyConnection(
      {
        profile: "default",
        provider: "github",
        connectionName: "default",
        apiKey: new Secret("x"),
      },
      "2026-11-25T11:00:00Z",
      null,
    ),
    authType: "oauth2",
    apiKey: null,
    accessToken: new Secret("access-token-value"),
    expiresAt,
  };
}

Deno.test("needsRefresh: 301 s before expiry the stored token is returned as is", () => {
  assert.equal(needsRefresh(oauth("2026-11-25T12:00:00Z"), EXPIRES - 301_000), false);
});

Deno.test("needsRefresh: exactly 300 s before expiry a refresh happens", () => {
  assert.equal(REFRESH_WINDOW_MS, 300_000);
  assert.equal(needsRefresh(oauth("2026-11-25T12:00:00Z"), EXPIRES - 300_000), true);
});

Deno.test("needsRefresh: 299 s before expiry, and after expiry, a refresh happens", () => {
  assert.equal(needsRefresh(oauth("2026-11-25T12:00:00Z"), EXPIRES - 299_000), true);
  assert.equal(needsRefresh(oauth("2026-11-25T12:00:00Z"), EXPIRES + 1), true);
});

Deno.test("needsRefresh: no expires_at means never; API keys never refresh", () => {
  assert.equal(needsRefresh(oauth(null), EXPIRES + 10 ** 9), false);
  const key = { ...oauth("2026-11-25T12:00:00Z"), authType: "api_key" as const };
  assert.equal(needsRefresh(key, EXPIRES + 1), false);
});

Deno.test("isPastExpiry tells a still-valid token from an expired one", () => {
  assert.equal(isPastExpiry(oauth("2026-11-25T12:00:00Z"), EXPIRES - 1), false);
  assert.equal(isPastExpiry(oauth("2026-11-25T12:00:00Z"), EXPIRES), true);
  assert.equal(isPastExpiry(oauth(null), EXPIRES), false);
});
