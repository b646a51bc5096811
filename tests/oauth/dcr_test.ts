import assert from "node:assert/strict";
import { Secret } from "../../src/model/secret.ts";
import { registerClient } from "../../src/oauth/dcr.ts";
import { EndpointUnreachableError, OAuthProtocolError } from "../../src/oauth/types.ts";
import { json, testDeps } from "./_helpers.ts";

Deno.test.sanitizer?.({ ops: true, resources: true });

const REQUEST = {
  registrationEndpoint: "https://as.example/reg",
  redirectUris: ["http://127.0.0.1:7999/callback"],
  clientName: "authsome-linear",
  scopes: ["read", "write"],
};

Deno.test("registerClient posts native public-client metadata", async () => {
  const deps = testDeps(() =>
    json({ client_id: "new-client", token_endpoint_auth_method: "none" }, 201)
  );
  const client = await registerClient(deps, REQUEST);
  assert.equal(client.clientId, "new-client");
  assert.equal(client.clientSecret, null);
  assert.equal(client.registrationAccessToken, null);
  assert.equal(client.authMethod, "none");
  const [request] = deps.requests;
  assert.equal(request.method, "POST");
  assert.equal(request.headers.get("content-type"), "application/json");
  assert.equal(request.headers.get("accept"), "application/json");
  assert.equal(request.headers.get("authorization"), null);
  assert.deepEqual(JSON.parse(deps.bodies[0]), {
    client_name: "authsome-linear",
    redirect_uris: ["http://127.0.0.1:7999/callback"],
    token_endpoint_auth_method: "none",
    grant_types: ["authorization_code", "refresh_token"],
    response_types: ["code"],
    application_type: "native",
    scope: "read write",
  });
});

Deno.test("registerClient wraps the secret and the registration token", async () => {
  const deps = testDeps(() =>
    json({
      client_id: "conf-client",
      client_secret: "dcr-client-secret-1",
      client_secret_expires_at: 0,
      client_id_issued_at: 1767225600,
      registration_access_token: "reg-access-token-1",
      registration_client_uri: "https://as.example/reg/conf-client",
      token_endpoint_auth_method: "client_secret_basic",
      redirect_uris: ["http://127.0.0.1:7999/callback"],
    }, 201)
  );
  const client = await registerClient(deps, {
    ...REQUEST,
    scopes: [],
    authMethod: "client_secret_basic",
    initialAccessToken: new Secret("initial-token-1"),
  });
  assert.equal(client.clientSecret?.reveal(), "dcr-client-secret-1");
  assert.equal(client.registrationAccessToken?.reveal(), "reg-access-token-1");
  assert.equal(client.clientSecretExpiresAt, 0);
  assert.equal(client.authMethod, "client_secret_basic");
  assert.deepEqual(client.registration, {
    client_id: "conf-client",
    client_secret_expires_at: 0,
    client_id_issued_at: 1767225600,
    registration_client_uri: "https://as.example/reg/conf-client",
    token_endpoint_auth_method: "client_secret_basic",
    redirect_uris: ["http://127.0.0.1:7999/callback"],
  });
  assert.equal(deps.requests[0].headers.get("authorization"), "Bearer initial-token-1");
  assert.equal("scope" in JSON.parse(deps.bodies[0]), false);
  const printed = JSON.stringify(client) + deps.logText();
  for (const secret of ["dcr-client-secret-1", "reg-access-token-1", "initial-token-1"]) {
    assert.equal(printed.includes(secret), false, secret);
  }
});

Deno.test("registerClient: RFC 7591 errors are OAuth protocol errors", async () => {
  for (const code of ["invalid_redirect_uri", "invalid_client_metadata"]) {
    const deps = testDeps(() => json({ error: code, error_description: "nope" }, 400));
    await assert.rejects(registerClient(deps, REQUEST), (error) => {
      assert.ok(error instanceof OAuthProtocolError);
      assert.equal(error.oauthError, code);
      assert.equal(error.httpStatus, 400);
      return true;
    });
    assert.ok(deps.logs.some((line) => line.message === "registration endpoint request failed"));
  }
});

Deno.test("registerClient: no client_id, 5xx, or a bare 403", async () => {
  await assert.rejects(
    registerClient(testDeps(() => json({ client_name: "x" }, 201)), REQUEST),
    (error) =>
      error instanceof EndpointUnreachableError &&
      error.reason === "invalid response from registration endpoint: no client_id",
  );
  await assert.rejects(
    registerClient(testDeps(() => new Response("", { status: 503 })), REQUEST),
    (error) =>
      error instanceof EndpointUnreachableError &&
      error.reason === "HTTP 503 from registration endpoint",
  );
  await assert.rejects(
    registerClient(testDeps(() => new Response("forbidden", { status: 403 })), REQUEST),
    (error) =>
      error instanceof EndpointUnreachableError &&
      error.reason === "HTTP 403 from registration endpoint",
  );
});
