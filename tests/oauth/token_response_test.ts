import assert from "node:assert/strict";
import { AuthenticationError } from "../../src/errors.ts";
import { parseTokenResponse } from "../../src/oauth/token_response.ts";
import { EndpointUnreachableError, OAuthProtocolError } from "../../src/oauth/types.ts";

Deno.test.sanitizer?.({ ops: true, resources: true });

const JSON_TYPE = "application/json; charset=utf-8";
const FORM_TYPE = "application/x-www-form-urlencoded; charset=utf-8";

function protocolError(fn: () => unknown): OAuthProtocolError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof OAuthProtocolError, `expected OAuthProtocolError, got ${error}`);
    assert.ok(error instanceof AuthenticationError);
    return error;
  }
  assert.fail("did not throw");
}

function unreachable(fn: () => unknown): EndpointUnreachableError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof EndpointUnreachableError, `expected unreachable, got ${error}`);
    return error;
  }
  assert.fail("did not throw");
}

Deno.test("parseTokenResponse reads a JSON token response", () => {
  const tokens = parseTokenResponse(
    200,
    JSON_TYPE,
    JSON.stringify({
      access_token: "at-123456",
      refresh_token: "rt-123456",
      token_type: "bearer",
      expires_in: 3599,
      scope: "repo user",
      id_token: "eyJhbGciOi.x.y",
      refresh_token_expires_in: 15897600,
      authed_user: { id: "U1", access_token: "xoxp-nested-secret" },
    }),
  );
  assert.equal(tokens.accessToken.reveal(), "at-123456");
  assert.equal(tokens.refreshToken?.reveal(), "rt-123456");
  assert.equal(tokens.tokenType, "bearer");
  assert.equal(tokens.expiresIn, 3599);
  assert.equal(tokens.scope, "repo user");
  assert.deepEqual(tokens.extra, { refresh_token_expires_in: 15897600, authed_user: { id: "U1" } });
  const printed = JSON.stringify(tokens) + String(tokens.accessToken);
  for (const secret of ["at-123456", "rt-123456", "eyJhbGciOi", "xoxp-nested-secret"]) {
    assert.equal(printed.includes(secret), false, secret);
  }
});

Deno.test("parseTokenResponse reads GitHub's form-encoded answer", () => {
  const tokens = parseTokenResponse(
    200,
    FORM_TYPE,
    "access_token=gho_abcdef&scope=repo%2Cgist&token_type=bearer",
  );
  assert.equal(tokens.accessToken.reveal(), "gho_abcdef");
  assert.equal(tokens.refreshToken, null);
  assert.equal(tokens.scope, "repo,gist");
  assert.equal(tokens.tokenType, "bearer");
  assert.equal(tokens.expiresIn, null);
});

Deno.test("parseTokenResponse reads a form body sent with a wrong or missing content type", () => {
  const body = "access_token=gho_x1y2z3&expires_in=28800&refresh_token=ghr_a1b2c3";
  for (const type of [null, "text/plain", "application/json"]) {
    const tokens = parseTokenResponse(200, type, body);
    assert.equal(tokens.accessToken.reveal(), "gho_x1y2z3");
    assert.equal(tokens.expiresIn, 28800);
    assert.equal(tokens.refreshToken?.reveal(), "ghr_a1b2c3");
  }
});

Deno.test("parseTokenResponse checks error first, even with HTTP 200 (GitHub)", () => {
  const cases: [string, string][] = [
    ["bad_verification_code", "invalid_grant"],
    ["bad_refresh_token", "invalid_grant"],
    ["incorrect_client_credentials", "invalid_client"],
    ["invalid_grant", "invalid_grant"],
    ["authorization_pending", "authorization_pending"],
  ];
  for (const [sent, normalised] of cases) {
    const error = protocolError(() =>
      parseTokenResponse(
        200,
        FORM_TYPE,
        `error=${sent}&error_description=The+code+passed+is+incorrect&access_token=ignored`,
      )
    );
    assert.equal(error.oauthError, normalised);
    assert.equal(error.description, "The code passed is incorrect");
    assert.equal(error.httpStatus, 200);
    assert.equal(error.providerError, sent);
    // The provider's own code stays visible when it was normalised.
    const named = sent === normalised ? sent : `${normalised} (${sent})`;
    assert.equal(error.codeText, named);
    assert.equal(error.message, `${named}: The code passed is incorrect`);
  }
  const json = protocolError(() =>
    parseTokenResponse(200, JSON_TYPE, JSON.stringify({ error: "bad_refresh_token" }))
  );
  assert.equal(json.oauthError, "invalid_grant");
  assert.equal(json.description, null);
  assert.equal(json.message, "invalid_grant (bad_refresh_token)");
});

Deno.test("parseTokenResponse maps Slack's ok:false errors", () => {
  const error = protocolError(() =>
    parseTokenResponse(
      200,
      JSON_TYPE,
      JSON.stringify({ ok: false, error: "invalid_refresh_token" }),
    )
  );
  assert.equal(error.oauthError, "invalid_grant");
});

Deno.test("parseTokenResponse: RFC 6749 §5.2 errors with 400 and 401", () => {
  const grant = protocolError(() =>
    parseTokenResponse(
      400,
      JSON_TYPE,
      '{"error":"invalid_grant","error_description":"Refresh token\\nrevoked"}',
    )
  );
  assert.equal(grant.oauthError, "invalid_grant");
  assert.equal(grant.description, "Refresh token revoked");
  assert.equal(grant.httpStatus, 400);
  const client = protocolError(() => parseTokenResponse(401, null, '{"error":"invalid_client"}'));
  assert.equal(client.oauthError, "invalid_client");
});

Deno.test("parseTokenResponse: 5xx and 429 are unreachable, whatever the body", () => {
  assert.equal(
    unreachable(() => parseTokenResponse(503, "text/html", "<h1>down</h1>")).reason,
    "HTTP 503 from token endpoint",
  );
  assert.equal(
    unreachable(() => parseTokenResponse(500, JSON_TYPE, '{"error":"server_error"}')).reason,
    "HTTP 500 from token endpoint",
  );
  assert.equal(
    unreachable(() => parseTokenResponse(429, JSON_TYPE, '{"error":"invalid_grant"}')).reason,
    "HTTP 429 from token endpoint",
  );
});

Deno.test("parseTokenResponse: other statuses without an OAuth error are HTTP <n> phrases", () => {
  for (const status of [400, 401, 403, 404, 302]) {
    const error = unreachable(() => parseTokenResponse(status, "text/html", "<html>nope</html>"));
    assert.equal(error.reason, `HTTP ${status} from token endpoint`);
  }
  const empty = unreachable(() => parseTokenResponse(401, null, ""));
  assert.equal(empty.reason, "HTTP 401 from token endpoint");
});

Deno.test("parseTokenResponse: expires_in as a digit string, else invalid", () => {
  const ok = parseTokenResponse(200, JSON_TYPE, '{"access_token":"a1b2c3d4","expires_in":"3600"}');
  assert.equal(ok.expiresIn, 3600);
  const absent = parseTokenResponse(
    200,
    JSON_TYPE,
    '{"access_token":"a1b2c3d4","expires_in":null}',
  );
  assert.equal(absent.expiresIn, null);
  for (const bad of ['"3600.5"', '"1h"', '"-5"', "-5", "true", '" 36"', "{}"]) {
    const error = unreachable(() =>
      parseTokenResponse(200, JSON_TYPE, `{"access_token":"a1b2c3d4","expires_in":${bad}}`)
    );
    assert.equal(
      error.reason,
      "invalid response from token endpoint: expires_in is not a number of seconds",
    );
  }
});

Deno.test("parseTokenResponse: a 2xx body that is not a token response", () => {
  assert.equal(
    unreachable(() => parseTokenResponse(200, JSON_TYPE, '{"token_type":"bearer"}')).reason,
    "invalid response from token endpoint: no access_token",
  );
  assert.equal(
    unreachable(() => parseTokenResponse(200, JSON_TYPE, '{"access_token":""}')).reason,
    "invalid response from token endpoint: no access_token",
  );
  assert.equal(
    unreachable(() => parseTokenResponse(200, "text/html", "<html>login</html>")).reason,
    "invalid response from token endpoint",
  );
  assert.equal(
    unreachable(() => parseTokenResponse(200, JSON_TYPE, "[1,2]")).reason,
    "invalid response from token endpoint",
  );
});

Deno.test("parseTokenResponse joins a scope list and keeps an empty refresh_token as none", () => {
  const tokens = parseTokenResponse(
    200,
    JSON_TYPE,
    '{"access_token":"a1b2c3d4","scope":["a","b"],"refresh_token":"","token_type":""}',
  );
  assert.equal(tokens.scope, "a b");
  assert.equal(tokens.refreshToken, null);
  assert.equal(tokens.tokenType, null);
});

Deno.test("parseTokenResponse refuses DPoP, PoP, MAC and N_A tokens: only Bearer is usable", () => {
  for (const type of ["DPoP", "dpop", "N_A", "PoP", "mac"]) {
    const body = JSON.stringify({ access_token: "a1b2c3d4", token_type: type, expires_in: 60 });
    const error = unreachable(() => parseTokenResponse(200, JSON_TYPE, body));
    assert.equal(
      error.reason,
      `unsupported token_type "${type}" from token endpoint: authsome can only use Bearer tokens`,
    );
  }
});

Deno.test("parseTokenResponse accepts Bearer in any case, no token_type, and Slack's bot", () => {
  for (const type of ["Bearer", "bearer", "BEARER", "bot", undefined]) {
    const body = JSON.stringify({ access_token: "a1b2c3d4", token_type: type });
    assert.equal(parseTokenResponse(200, JSON_TYPE, body).tokenType, type ?? null);
  }
});
