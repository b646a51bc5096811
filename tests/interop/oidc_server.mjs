// TEST-ONLY. Not part of authsome and never shipped or imported by it.
//
// Starts panva's oidc-provider (a certified OAuth 2.0 / OpenID Connect authorization server),
// pinned to exactly 9.13.3 in tests/interop/package.json, on 127.0.0.1 so that the
// interoperability tests (tests/interop/*_test.ts) can drive authsome against a real server.
// It lives in its own npm project so that the repository root has no npm dependency.
//
// Install (CI does this in .ci/run; the tests skip themselves when it is missing):
//   npm ci --prefix tests/interop
//
// Run:   node tests/interop/oidc_server.mjs [port]       (port 0 or omitted: an ephemeral port)
// Prints exactly one JSON line on stdout once listening: {"ready":true,"issuer":"http://127.0.0.1:<port>","port":<port>}
// (oidc-provider's own NOTICE lines may also appear on stdout; warnings go to stderr.)
// Exits on SIGTERM/SIGINT, and also when stdin reaches EOF if OIDC_EXIT_ON_STDIN_EOF=1 (so a
// test process that dies cannot leave the server running).
//
// Environment:
//   ACCESS_TTL   access-token lifetime in seconds (default 3600)
//   REFRESH_TTL  refresh-token lifetime in seconds (default 14 days)
//
// Node 20 prints "Unsupported runtime" (oidc-provider wants Node 22 LTS); it works regardless.
//
// Configuration notes (why refresh tokens appear):
//  - `issueRefreshToken` is overridden to "the client may use the refresh_token grant", so a
//    refresh token is issued for code and device grants even without the `offline_access`
//    scope. (By default oidc-provider needs `offline_access` in the granted scopes, and it drops
//    `offline_access` from a request that has a `prompt` parameter without `consent`.)
//  - `expiresWithSession` returns false, so refresh tokens do not die with the login session.
//  - `rotateRefreshToken: true`: every refresh returns a new refresh token; replaying a used one
//    revokes the whole grant ("refresh token already used" -> invalid_grant for every token).

import { createServer } from "node:http";

const providerModule = "oidc-provider"; // a variable: keeps `deno check` from resolving it
const { default: Provider } = await import(providerModule);

const requestedPort = Number(process.argv[2] ?? 0);
const accessTtl = Number(process.env.ACCESS_TTL ?? 3600);
const refreshTtl = Number(process.env.REFRESH_TTL ?? 14 * 24 * 60 * 60);

const server = createServer();
await new Promise((resolve, reject) => {
  server.once("error", reject);
  server.listen(requestedPort, "127.0.0.1", resolve);
});
const { port } = server.address();
const issuer = `http://127.0.0.1:${port}`;

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: "authsome-test",
      client_name: "authsome test client",
      token_endpoint_auth_method: "none",
      // "native" lets a loopback redirect URI use any port (RFC 8252 §7.3).
      application_type: "native",
      redirect_uris: ["http://127.0.0.1/callback"],
      grant_types: [
        "authorization_code",
        "refresh_token",
        "urn:ietf:params:oauth:grant-type:device_code",
      ],
      response_types: ["code"],
    },
    {
      // A confidential client held to HTTP Basic (RFC 6749 §2.3.1); its secret needs
      // form-encoding before base64.
      client_id: "authsome-confidential",
      client_secret: "s3cret:with/special+chars",
      client_name: "authsome confidential test client",
      token_endpoint_auth_method: "client_secret_basic",
      application_type: "native",
      redirect_uris: ["http://127.0.0.1/callback"],
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
    },
  ],
  features: {
    devInteractions: { enabled: true },
    deviceFlow: { enabled: true },
    revocation: { enabled: true },
    registration: { enabled: true }, // open dynamic client registration (no initial token)
    introspection: { enabled: true },
  },
  scopes: ["openid", "offline_access", "profile", "email", "read", "write"],
  issueRefreshToken: (_ctx, client) => client.grantTypeAllowed("refresh_token"),
  expiresWithSession: () => false,
  rotateRefreshToken: true,
  ttl: {
    AccessToken: accessTtl,
    AuthorizationCode: 60,
    ClientCredentials: accessTtl,
    DeviceCode: 600,
    Grant: refreshTtl,
    IdToken: 3600,
    Interaction: 3600,
    RefreshToken: refreshTtl,
    Session: 24 * 60 * 60,
  },
  cookies: { keys: ["authsome-interop-test-only-cookie-key"] },
  findAccount: (_ctx, id) => ({
    accountId: id,
    claims: () => ({ sub: id, email: `${id}@example.test`, name: id }),
  }),
});

server.on("request", provider.callback());

function shutdown() {
  server.closeAllConnections?.();
  server.close();
  process.exit(0);
}
process.on("SIGTERM", shutdown);
process.on("SIGINT", shutdown);
if (process.env.OIDC_EXIT_ON_STDIN_EOF === "1") {
  process.stdin.on("end", shutdown);
  process.stdin.on("error", shutdown);
  process.stdin.resume();
}

process.stdout.write(`${JSON.stringify({ ready: true, issuer, port })}\n`);
