import assert from "node:assert/strict";
import {
  knownSecretValues,
  REDACTED_TEXT,
  registerSecretValue,
  Secret,
  secretOrNull,
} from "../../src/model/secret.ts";

/** A value no other test registers. */
function unique(prefix: string): string {
  return `${prefix}${crypto.randomUUID().replaceAll("-", "")}`;
}

Deno.test("Secret prints [redacted] through String, templates, JSON and Deno.inspect", () => {
  const value = unique("sk-live-");
  const secret = new Secret(value);
  assert.equal(REDACTED_TEXT, "[redacted]");
  assert.equal(String(secret), "[redacted]");
  assert.equal(`token=${secret}`, "token=[redacted]");
  assert.equal("" + secret, "[redacted]");
  assert.equal(JSON.stringify(secret), '"[redacted]"');
  assert.equal(JSON.stringify({ api_key: secret }), '{"api_key":"[redacted]"}');
  assert.equal(Deno.inspect(secret), "[redacted]");
  const nested = Deno.inspect({ deep: { list: [secret] } }, { depth: 10 });
  assert.ok(nested.includes("[redacted]"), nested);
  assert.ok(!nested.includes(value), nested);
  // An error message built from a secret does not carry it either.
  assert.ok(!new Error(`failed with ${secret}`).message.includes(value));
});

Deno.test("Secret.reveal returns the exact value; isEmpty tells an empty one", () => {
  const value = unique(" spaced\nvalue'$ ");
  assert.equal(new Secret(value).reveal(), value);
  assert.equal(new Secret("").isEmpty, true);
  assert.equal(new Secret("x").isEmpty, false);
});

Deno.test("secretOrNull: strings become secrets, missing or empty values null", () => {
  assert.equal(secretOrNull(null), null);
  assert.equal(secretOrNull(undefined), null);
  assert.equal(secretOrNull(""), null);
  assert.equal(secretOrNull("abc")?.reveal(), "abc");
});

Deno.test("every secret of 6+ characters joins the redaction registry; shorter ones do not", () => {
  const long = unique("L");
  const six = unique("").slice(0, 6);
  const five = unique("").slice(0, 5);
  new Secret(long);
  new Secret(six);
  new Secret(five);
  const known = knownSecretValues();
  assert.ok(known.has(long));
  assert.ok(known.has(six), "exactly 6 characters is masked");
  assert.ok(!known.has(five), "5 characters would mangle ordinary text");
});

Deno.test("registerSecretValue masks values read from elsewhere (same minimum length)", () => {
  const fromEnv = unique("env-");
  const short = unique("").slice(0, 3);
  assert.ok(!knownSecretValues().has(fromEnv));
  registerSecretValue(fromEnv);
  registerSecretValue(short);
  assert.ok(knownSecretValues().has(fromEnv));
  assert.ok(!knownSecretValues().has(short));
});
