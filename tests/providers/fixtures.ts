/** Shared builders for the provider-definition tests. */
import assert from "node:assert/strict";
import { ProviderDefinitionError } from "../../src/errors.ts";
import { validateProvider } from "../../src/providers/schema.ts";

export const ORIGIN = "providers/acme.json";

export function oauth(
  overrides: Record<string, unknown> = {},
  block: Record<string, unknown> = {},
) {
  return {
    schema_version: 1,
    name: "acme",
    display_name: "Acme",
    auth_type: "oauth2",
    flow: "pkce",
    oauth: {
      authorization_url: "https://auth.acme.test/authorize",
      token_url: "https://auth.acme.test/token",
      scopes: ["read"],
      ...block,
    },
    host_url: "api.acme.test",
    ...overrides,
  };
}

export function apiKey(
  overrides: Record<string, unknown> = {},
  block: Record<string, unknown> = {},
) {
  return {
    schema_version: 1,
    name: "acme",
    display_name: "Acme",
    auth_type: "api_key",
    flow: "api_key",
    api_key: { header_name: "X-Api-Key", header_prefix: "", ...block },
    ...overrides,
  };
}

/** Asserts the exact message `<origin>: <path>: <problem>` (problem matched by `pattern`). */
export function rejects(raw: unknown, path: string, pattern: RegExp): void {
  assert.throws(() => validateProvider(raw, ORIGIN), (error: unknown) => {
    assert.ok(error instanceof ProviderDefinitionError, String(error));
    const prefix = `${ORIGIN}: ${path}: `;
    assert.ok(error.message.startsWith(prefix), `"${error.message}" starts with "${prefix}"`);
    assert.match(error.message.slice(prefix.length), pattern);
    assert.equal(error.exitCode, 2);
    return true;
  });
}
