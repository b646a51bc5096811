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

function shortLived(obtainedAt: string | null, expiresAt: string): Connection {
  return { ...oauth(expiresAt), obtainedAt };
}

Deno.test("needsRefresh: a 60 s token is returned as is until half its lifetime is left", () => {
  // Obtained 11:59:00, expires 12:00:00: before, every call inside 300 s refreshed it.
  const token = shortLived("2026-11-25T11:59:00Z", "2026-11-25T12:00:00Z");
  assert.equal(needsRefresh(token, EXPIRES - 59_000), false);
  assert.equal(needsRefresh(token, EXPIRES - 31_000), false);
  assert.equal(needsRefresh(token, EXPIRES - 30_000), true);
  assert.equal(needsRefresh(token, EXPIRES + 1), true);
});

Deno.test("needsRefresh: a token of exactly 300 s uses half its lifetime (150 s)", () => {
  const token = shortLived("2026-11-25T11:55:00Z", "2026-11-25T12:00:00Z");
  assert.equal(needsRefresh(token, EXPIRES - 151_000), false);
  assert.equal(needsRefresh(token, EXPIRES - 150_000), true);
});

Deno.test("needsRefresh: a 301 s token keeps the normal 300 s window", () => {
  const token = shortLived("2026-11-25T11:54:59Z", "2026-11-25T12:00:00Z");
  assert.equal(needsRefresh(token, EXPIRES - 301_000), false);
  assert.equal(needsRefresh(token, EXPIRES - 300_000), true);
});

Deno.test("needsRefresh: without a usable obtained_at the 300 s window applies", () => {
  assert.equal(needsRefresh(shortLived(null, "2026-11-25T12:00:00Z"), EXPIRES - 300_000), true);
  const garbled = shortLived("not a date", "2026-11-25T12:00:00Z");
  assert.equal(needsRefresh(garbled, EXPIRES - 300_000), true);
  // obtained after expires_at (a clock step): not a lifetime, the normal rule.
  const backwards = shortLived("2026-11-25T12:10:00Z", "2026-11-25T12:00:00Z");
  assert.equal(needsRefresh(backwards, EXPIRES - 300_000), true);
});
