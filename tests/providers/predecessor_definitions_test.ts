/**
 * Provider files written for the Python predecessor load unchanged: `schema_version` may be
 * left out, and `host_url` may use `{base_url}` (resolved at login, like the endpoints).
 */
import assert from "node:assert/strict";
import { validateProvider } from "../../src/providers/schema.ts";
import { oauth, ORIGIN, rejects } from "./fixtures.ts";

Deno.test("predecessor definitions: a file without schema_version is version 1", () => {
  const d = validateProvider(oauth({ schema_version: undefined }), ORIGIN);
  assert.equal(d.schema_version, 1);
});

Deno.test("predecessor definitions: host_url may be {base_url} or a path under it", () => {
  const block = {
    base_url: "https://gitlab.example.com",
    authorization_url: "{base_url}/oauth/authorize",
    token_url: "{base_url}/oauth/token",
  };
  assert.equal(
    validateProvider(oauth({ host_url: "{base_url}/api/v4" }, block), ORIGIN).host_url,
    "{base_url}/api/v4",
  );
  assert.equal(
    validateProvider(oauth({ host_url: "{base_url}" }, block), ORIGIN).host_url,
    "{base_url}",
  );
  // Without oauth.base_url the value is checked against a placeholder host, still https-only.
  assert.equal(
    validateProvider(oauth({ host_url: "{base_url}/v1" }), ORIGIN).host_url,
    "{base_url}/v1",
  );
});

Deno.test("predecessor definitions: a templated host_url still obeys the https rule", () => {
  rejects(
    oauth({ host_url: "{base_url}/api" }, { base_url: "http://gitlab.example.com" }),
    "host_url",
    /https/,
  );
  rejects(oauth({ host_url: "{base_url}/{tenant}" }), "host_url", /unknown placeholder/);
});
