/**
 * OAuth login hardening (RFC 9207, RFC 9700, RFC 6749 §2.3.1, RFC 7591 §3, RFC 8414 §3.1),
 * in process against the fake authorization server.
 */
import assert from "node:assert/strict";
import { AuthenticationError, UsageError } from "../../src/errors.ts";
import { CredentialMissingError } from "../../src/errors.ts";
import { type LoginFixture, loginFixture } from "./_login_fixture.ts";

Deno.test.sanitizer?.({ ops: true, resources: true });

async function loginError(f: LoginFixture, options?: Parameters<LoginFixture["login"]>[0]) {
  let caught: unknown;
  try {
    await f.login(options);
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof Error, "the login failed");
  return caught as Error & { exitCode: number; hint?: string };
}

async function nothingStored(f: LoginFixture) {
  await assert.rejects(f.stored(), CredentialMissingError);
}

// ---- RFC 9207: iss on the authorization response ----------------------------------------------

Deno.test("login: an iss naming another server is refused (mix-up), exit 4, nothing stored", async () => {
  await using f = await loginFixture();
  f.server.faults.push("/authorize", { redirectParams: { iss: "https://evil.example" } });
  const error = await loginError(f);
  assert.ok(error instanceof AuthenticationError);
  assert.equal(error.exitCode, 4);
  assert.equal(
    error.message,
    'the authorization response came from a different server: iss "https://evil.example" is ' +
      `not the expected issuer "${f.server.issuer}" (RFC 9207); the login was refused`,
  );
  assert.equal(f.server.tokenRequests().length, 0, "the code was never redeemed");
  await nothingStored(f);
});

Deno.test("login: no iss although the metadata promises it is refused, exit 4", async () => {
  await using f = await loginFixture();
  f.server.faults.push("/authorize", { redirectParams: { iss: null } });
  const error = await loginError(f);
  assert.equal(error.exitCode, 4);
  assert.match(error.message, /^the authorization response carried no iss, but http:\/\/127/);
  assert.equal(f.server.tokenRequests().length, 0);
  await nothingStored(f);
});

Deno.test("login: no iss from a server that does not promise one is fine", async () => {
  await using f = await loginFixture({
    server: { metadata: { authorization_response_iss_parameter_supported: null } },
  });
  f.server.faults.push("/authorize", { redirectParams: { iss: null } });
  assert.equal((await f.login()).status, "success");
  assert.equal((await f.stored()).status, "connected");
});

Deno.test("login: an issuer with a path (oauth.issuer) is discovered by RFC 8414 insertion and checked", async () => {
  // oauth.issuer names the issuer; its metadata is at /.well-known/.../tenant only.
  await using g = await loginFixture({
    server: { issuerPath: "/tenant" },
    block: (server) => ({ issuer: server.issuer }),
  });
  g.server.faults.push("/authorize", { redirectParams: { iss: g.server.url } });
  const error = await loginError(g);
  assert.match(error.message, /is not the expected issuer "http:\/\/127\.0\.0\.1:\d+\/tenant"/);
  assert.equal(
    g.server.requestsTo("/.well-known/oauth-authorization-server/tenant").length,
    1,
    "RFC 8414 §3.1: the well-known segment goes between the host and the path",
  );
  assert.equal((await g.login()).status, "success");
});

// ---- client authentication (RFC 6749 §2.3.1) ---------------------------------------------------

const SECRET = "s3cret:with/special+chars";
const AFTER_EXPIRY = 3600_000 + 60_000;

for (const method of ["client_secret_basic", "client_secret_post", "none"] as const) {
  Deno.test(`login, refresh and revoke authenticate with oauth.token_endpoint_auth_method ${method}`, async () => {
    await using f = await loginFixture({
      server: {
        clients: [{
          clientId: "authsome-test",
          clientSecret: method === "none" ? undefined : SECRET,
          authMethod: method,
        }],
        // The definition decides, whatever the server advertises.
        metadata: { token_endpoint_auth_methods_supported: null },
      },
      block: { token_endpoint_auth_method: method },
      env: method === "none" ? {} : { FAKEHUB_CLIENT_SECRET: SECRET },
    });
    assert.equal((await f.login()).status, "success");
    f.platform.advance(AFTER_EXPIRY);
    const refreshed = await f.access();
    assert.equal(refreshed.warning, undefined);
    assert.equal(refreshed.connection.status, "connected");
    assert.equal((await f.logout()).remote, "revoked");
    const used = [...f.server.tokenRequests(), ...f.server.requestsTo("/revoke")];
    assert.deepEqual(used.map((r) => [r.params.grant_type ?? "revoke", r.clientAuth, r.status]), [
      ["authorization_code", method, 200],
      ["refresh_token", method, 200],
      ["revoke", method, 200],
      ["revoke", method, 200],
    ]);
    if (method === "client_secret_basic") {
      // RFC 6749 §2.3.1: form-encoded before base64; the secret is not in the body.
      const header = f.server.tokenRequests()[0].headers.authorization;
      assert.equal(
        atob(header.replace(/^Basic /, "")),
        "authsome-test:s3cret%3Awith%2Fspecial%2Bchars",
      );
      assert.equal(f.server.tokenRequests()[0].params.client_secret, undefined);
    }
  });
}

Deno.test("login: the server's advertised methods choose client_secret_basic, then post", async () => {
  for (
    const [supported, expected] of [
      [["client_secret_post", "client_secret_basic"], "client_secret_basic"],
      [["client_secret_post"], "client_secret_post"],
      [null, "client_secret_basic"], // RFC 8414 §2: the default when the list is left out
    ] as const
  ) {
    await using f = await loginFixture({
      server: {
        clients: [{ clientId: "authsome-test", clientSecret: SECRET, authMethod: expected }],
        metadata: { token_endpoint_auth_methods_supported: supported },
      },
      env: { FAKEHUB_CLIENT_SECRET: SECRET },
    });
    assert.equal((await f.login()).status, "success", String(supported));
    f.platform.advance(AFTER_EXPIRY);
    assert.equal((await f.access()).warning, undefined);
    assert.deepEqual(f.server.tokenRequests().map((r) => r.clientAuth), [expected, expected]);
  }
});

Deno.test("login --flow dcr_pkce: a server without public clients registers a confidential one and it authenticates as registered", async () => {
  await using f = await loginFixture({
    server: {
      enforceAuthMethod: true,
      metadata: { token_endpoint_auth_methods_supported: ["client_secret_basic"] },
    },
  });
  assert.equal((await f.login({ flow: "dcr_pkce" })).status, "success");
  const registration = f.server.requestsTo("/register")[0];
  assert.equal(
    (registration.json as Record<string, unknown>).token_endpoint_auth_method,
    "client_secret_basic",
  );
  f.platform.advance(AFTER_EXPIRY);
  assert.equal((await f.access()).warning, undefined);
  assert.deepEqual(
    f.server.tokenRequests().map((r) => [r.clientAuth, r.status]),
    [["client_secret_basic", 200], ["client_secret_basic", 200]],
  );
});

// ---- RFC 7591 §3: initial access token ----------------------------------------------------------

Deno.test("login --flow dcr_pkce: the initial access token comes from oauth.registration_token_env, as Bearer", async () => {
  await using f = await loginFixture({
    server: { initialAccessToken: "iat-0123456789" },
    block: { registration_token_env: "FAKEHUB_IAT" },
    env: { FAKEHUB_IAT: "iat-0123456789" },
  });
  assert.equal((await f.login({ flow: "dcr_pkce" })).status, "success");
  assert.equal(
    f.server.requestsTo("/register")[0].headers.authorization,
    "Bearer iat-0123456789",
  );
  assert.deepEqual(f.asked, ["initial access token for client registration"]);
  assert.equal(JSON.stringify(f.log.lines).includes("iat-0123456789"), false, "not logged");
});

Deno.test("login --flow dcr_pkce: no initial access token for a server that wants one: exit 4", async () => {
  await using f = await loginFixture({ server: { initialAccessToken: "iat-0123456789" } });
  const error = await loginError(f, { flow: "dcr_pkce" });
  assert.equal(error.exitCode, 4);
  assert.match(error.message, /invalid_token/);
  await nothingStored(f);
});

// ---- https unless loopback ----------------------------------------------------------------------

Deno.test("login --base-url: plain http off this machine is refused before anything is sent, exit 2", async () => {
  await using f = await loginFixture({ templated: true });
  for (const baseUrl of ["http://as.example", "http://10.1.2.3:8080/", "ftp://as.example"]) {
    const error = await loginError(f, { baseUrl });
    assert.ok(error instanceof UsageError, String(error));
    assert.equal(error.exitCode, 2);
    assert.match(
      error.message,
      /^--base-url \S+: https is required \(http only for 127\.0\.0\.1, localhost and \[::1\]\)$/,
    );
  }
  assert.equal(f.server.requests.length, 0);
  assert.equal(f.opened.length, 0);
  await nothingStored(f);
  // Loopback http is fine.
  assert.equal((await f.login({ baseUrl: f.server.url })).status, "success");
});

Deno.test("login --flow dcr_pkce: a discovered plain-http registration endpoint is refused, exit 4", async () => {
  await using f = await loginFixture({
    server: { metadata: { registration_endpoint: "http://register.example/register" } },
  });
  const error = await loginError(f, { flow: "dcr_pkce" });
  assert.equal(error.exitCode, 4);
  assert.match(
    error.message,
    /registration_endpoint http:\/\/register\.example: https is required \(http only for 127\.0\.0\.1, localhost and \[::1\]\)/,
  );
  assert.equal(f.server.requestsTo("/register").length, 0);
  await nothingStored(f);
});

// ---- token_type ---------------------------------------------------------------------------------

Deno.test("login: a DPoP token is refused with a clear error, exit 4, nothing stored", async () => {
  await using f = await loginFixture({ server: { tokenType: "DPoP" } });
  const error = await loginError(f);
  assert.equal(error.exitCode, 4);
  assert.equal(
    error.message,
    'unsupported token_type "DPoP" from token endpoint: authsome can only use Bearer tokens',
  );
  await nothingStored(f);
});

Deno.test("refresh: an N_A token is not stored; the refresh fails with the reason", async () => {
  await using f = await loginFixture();
  await f.login();
  const before = (await f.stored()).accessToken?.reveal();
  f.server.config.tokenType = "N_A";
  f.platform.advance(3600_000 - 100_000); // inside the window, still valid
  const { connection, warning } = await f.access();
  assert.equal(connection.accessToken?.reveal(), before);
  assert.equal(
    warning?.split(";")[0],
    'refresh failed for fakehub (default): unsupported token_type "N_A" from token endpoint: ' +
      "authsome can only use Bearer tokens",
  );
  assert.equal((await f.stored()).accessToken?.reveal(), before);
});

// ---- IPv6 loopback redirect ---------------------------------------------------------------------

Deno.test("login: oauth.redirect_host [::1] redirects to http://[::1]:<port>/callback", async () => {
  await using f = await loginFixture({ block: { redirect_host: "[::1]" } });
  assert.equal((await f.login()).status, "success");
  const authorize = f.server.requestsTo("/authorize")[0];
  assert.match(authorize.query.redirect_uri, /^http:\/\/\[::1\]:\d+\/callback$/);
  assert.equal(f.server.tokenRequests()[0].params.redirect_uri, authorize.query.redirect_uri);
});
