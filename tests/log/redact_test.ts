import assert from "node:assert/strict";
import { createRedactor, isSecretKey, redactFields, redactText } from "../../src/log/redact.ts";
import { Secret } from "../../src/model/secret.ts";

const NONE: string[] = [];
const R = "[redacted]";

Deno.test("key names: form body keeps grant_type and client_id, masks refresh_token", () => {
  const body = "grant_type=refresh_token&refresh_token=abc123&client_id=x";
  assert.equal(
    redactText(body, NONE),
    "grant_type=refresh_token&refresh_token=[redacted]&client_id=x",
  );
});

Deno.test("key names: authorization-code body and callback query", () => {
  const body =
    "grant_type=authorization_code&code=SplxlOBeZQQYbYS6WxSbIA&code_verifier=dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk&redirect_uri=http%3A%2F%2F127.0.0.1%3A7999%2Fcallback&client_id=abc&client_secret=s3cr3t";
  const out = redactText(body, NONE);
  assert.equal(
    out,
    "grant_type=authorization_code&code=[redacted]&code_verifier=[redacted]&redirect_uri=http%3A%2F%2F127.0.0.1%3A7999%2Fcallback&client_id=abc&client_secret=[redacted]",
  );
  assert.equal(
    redactText("GET http://127.0.0.1:7999/callback?code=SplxlOBeZQQ&state=af0ifjsldkj", NONE),
    "GET http://127.0.0.1:7999/callback?code=[redacted]&state=af0ifjsldkj",
  );
});

Deno.test("key names: JSON token response keeps token_type, expires_in and scope", () => {
  const body = JSON.stringify({
    access_token: "2YotnFZFEjr1zCsicMWpAA",
    token_type: "Bearer",
    expires_in: 3600,
    refresh_token: "tGzv3JOkF0XG5Qx2TlKWIA",
    id_token: "opaque-id-token-value",
    scope: "repo read:org",
  });
  const out = redactText(body, NONE);
  assert.equal(
    out,
    '{"access_token":"[redacted]","token_type":"Bearer","expires_in":3600,"refresh_token":"[redacted]","id_token":"[redacted]","scope":"repo read:org"}',
  );
  assert.deepEqual(JSON.parse(out).token_type, "Bearer");
});

Deno.test("key names: pretty JSON, Python repr and inspect output", () => {
  const pretty = JSON.stringify({ refresh_token: "tGzv3JOkF0XG5Qx2", code: 123456 }, null, 2);
  assert.deepEqual(JSON.parse(redactText(pretty, NONE)), { refresh_token: R, code: R });
  assert.equal(
    redactText("{'access_token': 'abc', 'expires_in': 60}", NONE),
    "{'access_token': '[redacted]', 'expires_in': 60}",
  );
  assert.equal(
    redactText('{ client_secret: "zzz", base_url: "https://api.github.com" }', NONE),
    '{ client_secret: "[redacted]", base_url: "https://api.github.com" }',
  );
});

Deno.test("key names: header lines", () => {
  const headers = [
    "POST /login/oauth/access_token HTTP/1.1",
    "Authorization: Bearer gho_notARealTokenButLongEnough1234",
    "Proxy-Authorization: Basic dXNlcjpwYXNz",
    "X-Api-Key: 0123456789abcdef",
    "Cookie: session=abc; theme=dark",
    "Set-Cookie: sid=xyz; HttpOnly",
    "Accept: application/json",
    "Content-Type: application/x-www-form-urlencoded",
  ].join("\r\n");
  assert.equal(
    redactText(headers, NONE),
    [
      "POST /login/oauth/access_token HTTP/1.1",
      "Authorization: [redacted]",
      "Proxy-Authorization: [redacted]",
      "X-Api-Key: [redacted]",
      "Cookie: [redacted]",
      "Set-Cookie: [redacted]",
      "Accept: application/json",
      "Content-Type: application/x-www-form-urlencoded",
    ].join("\r\n"),
  );
});

Deno.test("key names: which names are secret", () => {
  for (
    const name of [
      "access_token",
      "refresh_token",
      "id_token",
      "accessToken",
      "client_secret",
      "secret",
      "password",
      "passwd",
      "api_key",
      "apikey",
      "X-API-Key",
      "OPENAI_API_KEY",
      "code",
      "code_verifier",
      "device_code",
      "authorization",
      "proxy-authorization",
      "cookie",
      "set-cookie",
      "credentials",
      "private_key",
      "client_assertion",
      "id_token_hint",
    ]
  ) assert.ok(isSecretKey(name), name);
  for (
    const name of [
      "token_type",
      "token_url",
      "token_endpoint",
      "access_token_url",
      "token_endpoint_auth_method",
      "token_endpoint_auth_methods_supported",
      "client_secret_expires_at",
      "client_assertion_type",
      "expires_in",
      "user_code",
      "verification_uri",
      "authorization_url",
      "status_code",
      "exit_code",
      "client_id",
      "grant_type",
      "scope",
      "state",
      "error",
    ]
  ) assert.ok(!isSecretKey(name), name);
});

Deno.test("token shapes: bearer, basic, JWT and provider key prefixes", () => {
  const jwt =
    "eyJhbGciOiJSUzI1NiIsImtpZCI6IjEifQ.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4ifQ.c2lnbmF0dXJlLWJ5dGVzLWhlcmU";
  const samples = [
    "ghp_16C7e42F292c6912E7710c838347Ae178B4a",
    "gho_16C7e42F292c6912E7710c838347Ae178B4a",
    "ghr_1B4a2e77838347a7E420ce178F2E7c6912E169246c34E1ccbF66C46812d16D5B1A9Dc86A1498",
    "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUV",
    "xoxb-2048-1234567890-AbCdEfGhIjKlMnOpQrStUvWx",
    "xoxp-1234567890-1234567890-abcdef",
    "xapp-1-A0123456789-1234567890-abcdef0123",
    "sk-ant-api03-abcdefghijklmnopqrstuvwxyz0123456789",
    "sk-proj-abcdefghijklmnopqrstuvwxyz0123456789",
    "sk-abcdefghijklmnopqrstuvwxyz0123456789",
    "AKIAIOSFODNN7EXAMPLE",
    "AIzaSyDaGmWKa4JsXZ-HjGw7ISLn_3namBGewQe",
    "ya29.a0AfH6SMBx-abcdefghijklmnop",
    "1//0gLKHsLh4ny0cCgYIARAAGBASNwF-L9IrabcdefghijklmnoP",
    jwt,
  ];
  for (const sample of samples) {
    assert.equal(redactText(`value ${sample} seen`, NONE), `value ${R} seen`, sample);
  }
  assert.equal(
    redactText("sent Bearer abcdef0123 and basic dXNlcjpwYXNzd29yZA==", NONE),
    "sent Bearer [redacted] and basic [redacted]",
  );
});

Deno.test("token shapes: prose around bearer stays readable", () => {
  for (
    const text of [
      "Bearer token required",
      'WWW-Authenticate: Bearer realm="api", error="invalid_token"',
      "Basic auth is not supported by this provider",
      "a basic example of basic settings",
    ]
  ) assert.equal(redactText(text, NONE), text);
});

Deno.test("known values: exact, URL-encoded and JSON-escaped forms", () => {
  const key = 'pa$$/word+with "quotes"';
  const known = ["my-api-key-123456", key];
  assert.equal(
    redactText("loaded my-api-key-123456 from OPENAI_KEY", known),
    "loaded [redacted] from OPENAI_KEY",
  );
  assert.equal(redactText(`x=${encodeURIComponent(key)}`, known), `x=${R}`);
  assert.equal(redactText(JSON.stringify({ v: key }), known), `{"v":"${R}"}`);
  // Values below the registry's floor would mask ordinary words.
  assert.equal(redactText("the cat sat", ["cat"]), "the cat sat");
});

Deno.test("known values are masked before key rules can split them", () => {
  const password = "hunter2&admin=true";
  assert.equal(redactText(`password=${password}`, [password]), `password=${R}`);
});

Deno.test("ordinary text is left intact", () => {
  const texts = [
    "Refreshing the access token for github (default); the token expires in 300 s.",
    "token_url=https://github.com/login/oauth/access_token expires_in=28800 token_type=bearer",
    "POST https://oauth2.googleapis.com/token",
    "Error: refresh failed for github (default): invalid_grant",
    "status_code=500 exit_code=1 user_code=WDJB-MJHT",
    "https://github.com/login/device?user_code=WDJB-MJHT",
    "task-runner finished in 12 ms",
  ];
  for (const text of texts) assert.equal(redactText(text, NONE), text);
});

Deno.test("URL passwords and private key blocks are masked", () => {
  assert.equal(
    redactText("postgres://app:hunter22@db:5432/x", NONE),
    `postgres://app:${R}@db:5432/x`,
  );
  const pem = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg\n-----END PRIVATE KEY-----";
  assert.equal(redactText(`key: ${pem} done`, NONE), `key: ${R} done`);
});

Deno.test("redactFields: deep copy with keys, nesting, secrets and errors", () => {
  const input = {
    url: "https://github.com/login/oauth/access_token",
    body: "grant_type=refresh_token&refresh_token=abc123&client_id=x",
    headers: { Authorization: "Bearer abc", Accept: "application/json" },
    response: { access_token: "tok", token_type: "bearer", expires_in: 3600 },
    credentials: { type: "oauth2", header_name: "X-Api-Key", value: "v", ttl: 5 },
    secret: new Secret("wrapped-secret-value"),
    cause: new Error("lookup of my-known-value-42 failed"),
    bytes: new Uint8Array(32),
    when: new Date(0),
    missing: undefined,
    nothing: null,
    ok: true,
    list: ["ghp_16C7e42F292c6912E7710c838347Ae178B4a", 1],
  };
  const before = structuredClone({ ...input, secret: null, cause: null });
  const out = redactFields(input, ["my-known-value-42"]);
  assert.deepEqual(out, {
    url: "https://github.com/login/oauth/access_token",
    body: "grant_type=refresh_token&refresh_token=[redacted]&client_id=x",
    headers: { Authorization: R, Accept: "application/json" },
    response: { access_token: R, token_type: "bearer", expires_in: 3600 },
    credentials: { type: "oauth2", header_name: "X-Api-Key", value: R, ttl: 5 },
    secret: R,
    cause: "Error: lookup of [redacted] failed",
    bytes: "[32 bytes]",
    when: "1970-01-01T00:00:00.000Z",
    nothing: null,
    ok: true,
    list: [R, 1],
  });
  assert.deepEqual({ ...input, secret: null, cause: null }, before);
});

Deno.test("redactFields: cycles and JSON round trip", () => {
  const a: Record<string, unknown> = { name: "a" };
  a.self = a;
  assert.deepEqual(redactFields(a, NONE), { name: "a", self: "[circular]" });
  const redactor = createRedactor(["value-one-234"]);
  assert.equal(redactor.text("value-one-234"), R);
  assert.deepEqual(redactor.fields({ k: "value-one-234" }), { k: R });
});
