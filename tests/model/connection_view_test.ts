import assert from "node:assert/strict";
import {
  connectionView,
  fieldText,
  fieldValue,
  isSecretField,
  relativeExpiry,
} from "../../src/model/connection_view.ts";
import { type Connection, CONNECTION_DISPLAY_FIELDS } from "../../src/model/connection.ts";
import { Secret } from "../../src/model/secret.ts";

const CONNECTION: Connection = {
  profile: "default",
  provider: "github",
  connectionName: "work",
  authType: "oauth2",
  status: "connected",
  accessToken: new Secret("gho_view_access_token"),
  refreshToken: new Secret("ghr_view_refresh_token"),
  tokenType: "Bearer",
  scopes: ["repo", "read:org"],
  expiresAt: "2026-11-25T13:00:00Z",
  obtainedAt: "2026-11-25T12:00:00Z",
  apiKey: null,
  baseUrl: null,
  hostUrl: "api.github.com",
  lastRefreshAt: null,
  lastRefreshError: null,
  metadata: { login: "octocat" },
  extra: {},
};

Deno.test("secret fields are [redacted] unless revealed; missing secrets stay null", () => {
  assert.equal(fieldValue(CONNECTION, "access_token", false), "[redacted]");
  assert.equal(fieldValue(CONNECTION, "refresh_token", false), "[redacted]");
  assert.equal(fieldValue(CONNECTION, "access_token", true), "gho_view_access_token");
  assert.equal(fieldValue(CONNECTION, "refresh_token", true), "ghr_view_refresh_token");
  assert.equal(fieldValue(CONNECTION, "api_key", false), null);
  assert.equal(fieldValue(CONNECTION, "api_key", true), null);
  assert.ok(
    isSecretField("access_token") && isSecretField("refresh_token") && isSecretField("api_key"),
  );
  assert.ok(!isSecretField("status") && !isSecretField("expires_at"));
});

Deno.test("non-secret fields are the stored values", () => {
  assert.equal(fieldValue(CONNECTION, "connection_name", false), "work");
  assert.equal(fieldValue(CONNECTION, "status", false), "connected");
  assert.equal(fieldValue(CONNECTION, "expires_at", false), "2026-11-25T13:00:00Z");
  assert.deepEqual(fieldValue(CONNECTION, "scopes", false), ["repo", "read:org"]);
  assert.deepEqual(fieldValue(CONNECTION, "metadata", false), { login: "octocat" });
});

Deno.test("connectionView has every display field and no secret unless revealed", () => {
  const view = connectionView(CONNECTION, false);
  assert.deepEqual(Object.keys(view), [...CONNECTION_DISPLAY_FIELDS]);
  const text = JSON.stringify(view);
  assert.ok(!text.includes("gho_view_access_token") && !text.includes("ghr_view_refresh_token"));
  assert.equal(connectionView(CONNECTION, true).access_token, "gho_view_access_token");
});

Deno.test("fieldText: one line per value, as scripts want it", () => {
  assert.equal(fieldText(null), "");
  assert.equal(fieldText(undefined), "");
  assert.equal(fieldText(["repo", "read:org"]), "repo read:org");
  assert.equal(fieldText([]), "");
  assert.equal(fieldText({ login: "octocat", id: 1 }), '{"login":"octocat","id":1}');
  assert.equal(fieldText("connected"), "connected");
  assert.equal(fieldText(42), "42");
  assert.equal(fieldText(false), "false");
});

const NOW = Date.parse("2026-11-25T12:00:00Z");
const at = (seconds: number) => new Date(NOW + seconds * 1000).toISOString();

Deno.test("relativeExpiry: seconds, minutes, hours up to 48 h, then days", () => {
  const cases: [number, string][] = [
    [0, "expires in 0s"],
    [30, "expires in 30s"],
    [59, "expires in 59s"],
    [60, "expires in 1m"],
    [90, "expires in 1m"],
    [3599, "expires in 59m"],
    [3600, "expires in 1h"],
    [3 * 3600 + 1800, "expires in 3h"],
    [47 * 3600 + 3599, "expires in 47h"],
    [48 * 3600, "expires in 2d"],
    [30 * 86400, "expires in 30d"],
  ];
  for (const [seconds, text] of cases) {
    assert.equal(relativeExpiry(at(seconds), NOW), text, `${seconds}s`);
  }
});

Deno.test("relativeExpiry: the past reads 'expired ... ago'", () => {
  assert.equal(relativeExpiry(at(-1), NOW), "expired 1s ago");
  assert.equal(relativeExpiry(at(-300), NOW), "expired 5m ago");
  assert.equal(relativeExpiry(at(-5 * 3600), NOW), "expired 5h ago");
  assert.equal(relativeExpiry(at(-3 * 86400), NOW), "expired 3d ago");
});

Deno.test("relativeExpiry: no expiry is '-', an unparsable one is shown as stored", () => {
  assert.equal(relativeExpiry(null, NOW), "-");
  assert.equal(relativeExpiry("soon", NOW), "soon");
});
