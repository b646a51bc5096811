import assert from "node:assert/strict";
import {
  discoverServerMetadata,
  discoveryCandidates,
  DiscoveryError,
} from "../../src/oauth/discovery.ts";
import { EndpointUnreachableError } from "../../src/oauth/types.ts";
import { closedPort, json, testDeps } from "./_helpers.ts";

Deno.test.sanitizer?.({ ops: true, resources: true });

/** A fake host serving `documents` by URL, 404 elsewhere. */
function host(documents: Record<string, unknown>) {
  return (request: Request) =>
    request.url in documents
      ? json(documents[request.url])
      : new Response("not found", { status: 404 });
}

function metadata(issuer: string, extra: Record<string, unknown> = {}) {
  return {
    issuer,
    authorization_endpoint: `${issuer}/authorize`,
    token_endpoint: `${issuer}/token`,
    registration_endpoint: `${issuer}/register`,
    revocation_endpoint: `${issuer}/revoke`,
    code_challenge_methods_supported: ["S256"],
    ...extra,
  };
}

Deno.test("discoveryCandidates: RFC 8414 insertion, OIDC appending, then the origin", () => {
  assert.deepEqual(discoveryCandidates("https://as.example/tenant/one"), [
    {
      url: "https://as.example/.well-known/oauth-authorization-server/tenant/one",
      issuer: "https://as.example/tenant/one",
    },
    {
      url: "https://as.example/tenant/one/.well-known/openid-configuration",
      issuer: "https://as.example/tenant/one",
    },
    {
      url: "https://as.example/.well-known/oauth-authorization-server",
      issuer: "https://as.example",
    },
    { url: "https://as.example/.well-known/openid-configuration", issuer: "https://as.example" },
  ]);
  assert.deepEqual(discoveryCandidates("https://as.example/").map((c) => c.url), [
    "https://as.example/.well-known/oauth-authorization-server",
    "https://as.example/.well-known/openid-configuration",
  ]);
  assert.equal(discoveryCandidates("https://as.example/t/")[0].issuer, "https://as.example/t/");
  assert.equal(
    discoveryCandidates("https://as.example/t/")[0].url,
    "https://as.example/.well-known/oauth-authorization-server/t",
  );
});

Deno.test("discoverServerMetadata: RFC 8414 for an issuer with a path", async () => {
  const deps = testDeps(host({
    "https://as.example/.well-known/oauth-authorization-server/tenant": metadata(
      "https://as.example/tenant",
    ),
  }));
  const found = await discoverServerMetadata(deps, "https://as.example/tenant");
  assert.equal(found.issuer, "https://as.example/tenant");
  assert.equal(found.token_endpoint, "https://as.example/tenant/token");
  assert.deepEqual(found.code_challenge_methods_supported, ["S256"]);
  assert.equal(deps.requests.length, 1);
  assert.equal(deps.requests[0].method, "GET");
  assert.equal(deps.requests[0].headers.get("accept"), "application/json");
});

Deno.test("discoverServerMetadata: falls back to OpenID configuration", async () => {
  const deps = testDeps(host({
    "https://idp.example/realms/main/.well-known/openid-configuration": metadata(
      "https://idp.example/realms/main",
      { device_authorization_endpoint: "https://idp.example/realms/main/device" },
    ),
  }));
  const found = await discoverServerMetadata(deps, "https://idp.example/realms/main");
  assert.equal(found.device_authorization_endpoint, "https://idp.example/realms/main/device");
  assert.deepEqual(deps.requests.map((r) => r.url), [
    "https://idp.example/.well-known/oauth-authorization-server/realms/main",
    "https://idp.example/realms/main/.well-known/openid-configuration",
  ]);
});

Deno.test("discoverServerMetadata: an authorization URL finds the metadata at its origin", async () => {
  const deps = testDeps(host({
    "https://mcp.linear.app/.well-known/oauth-authorization-server": metadata(
      "https://mcp.linear.app",
    ),
  }));
  const found = await discoverServerMetadata(deps, "https://mcp.linear.app/authorize");
  assert.equal(found.registration_endpoint, "https://mcp.linear.app/register");
  assert.equal(deps.requests.length, 3);
});

Deno.test("discoverServerMetadata: OpenID configuration at the origin", async () => {
  const deps = testDeps(host({
    "https://accounts.example/.well-known/openid-configuration": metadata(
      "https://accounts.example",
    ),
  }));
  const found = await discoverServerMetadata(deps, "https://accounts.example/o/oauth2/auth");
  assert.equal(found.issuer, "https://accounts.example");
});

Deno.test("discoverServerMetadata: an issuer that differs (trailing slash) is rejected", async () => {
  const deps = testDeps(host({
    "https://as.example/.well-known/oauth-authorization-server/tenant": metadata(
      "https://as.example/tenant/",
    ),
  }));
  await assert.rejects(discoverServerMetadata(deps, "https://as.example/tenant"), (error) => {
    assert.ok(error instanceof DiscoveryError);
    assert.match(
      error.message,
      /issuer "https:\/\/as\.example\/tenant\/" does not match "https:\/\/as\.example\/tenant"/,
    );
    return true;
  });
});

Deno.test("discoverServerMetadata: a document naming another server is rejected (mix-up)", async () => {
  const deps = testDeps(host({
    "https://as.example/.well-known/oauth-authorization-server": metadata("https://evil.example"),
    "https://as.example/.well-known/openid-configuration": metadata("https://as.example"),
  }));
  const found = await discoverServerMetadata(deps, "https://as.example");
  assert.equal(found.issuer, "https://as.example");
  assert.equal(deps.requests.length, 2);
});

Deno.test("discoverServerMetadata: an empty-path issuer matches with or without its slash", async () => {
  const deps = testDeps(host({
    "https://tenant.auth0.example/.well-known/openid-configuration": metadata(
      "https://tenant.auth0.example/",
    ),
  }));
  const found = await discoverServerMetadata(deps, "https://tenant.auth0.example/authorize");
  assert.equal(found.issuer, "https://tenant.auth0.example/");
});

Deno.test("discoverServerMetadata: malformed documents are named in the error", async () => {
  const deps = testDeps(host({
    "https://as.example/.well-known/oauth-authorization-server": {
      issuer: "https://as.example",
      token_endpoint: "javascript:alert(1)",
    },
    "https://as.example/.well-known/openid-configuration": ["not", "an", "object"],
  }));
  await assert.rejects(discoverServerMetadata(deps, "https://as.example"), (error) => {
    assert.ok(error instanceof DiscoveryError);
    assert.match(error.message, /token_endpoint is not an http\(s\) URL/);
    assert.match(error.message, /openid-configuration: not a JSON object/);
    return true;
  });
});

Deno.test("discoverServerMetadata: nothing found", async () => {
  await assert.rejects(
    discoverServerMetadata(testDeps(host({})), "https://as.example/authorize"),
    (error) =>
      error instanceof DiscoveryError &&
      error.message ===
        "no authorization server metadata found for https://as.example/authorize" &&
      error.code === "discovery_failed",
  );
  await assert.rejects(
    discoverServerMetadata(testDeps(host({})), "ftp://as.example"),
    DiscoveryError,
  );
  await assert.rejects(discoverServerMetadata(testDeps(host({})), "nope"), DiscoveryError);
});

Deno.test("discoverServerMetadata: an unreachable host stops at once", async () => {
  const deps = testDeps();
  await assert.rejects(
    discoverServerMetadata(deps, `http://127.0.0.1:${closedPort()}/authorize`),
    (error) => error instanceof EndpointUnreachableError && error.reason === "connection refused",
  );
  assert.equal(deps.fetchTimes.length, 1);
});

Deno.test("discoverServerMetadata: a plain-http registration endpoint elsewhere is refused", async () => {
  const issuer = "https://as.example";
  const deps = testDeps(host({
    [`${issuer}/.well-known/oauth-authorization-server`]: metadata(issuer, {
      registration_endpoint: "http://as.example/register",
    }),
  }));
  await assert.rejects(
    discoverServerMetadata(deps, issuer),
    (e: Error) =>
      e instanceof DiscoveryError &&
      e.message.includes(
        "registration_endpoint http://as.example: https is required (http only for 127.0.0.1, " +
          "localhost and [::1])",
      ),
  );
});

Deno.test("discoverServerMetadata: an http issuer off this machine is never asked", async () => {
  const deps = testDeps(host({}));
  await assert.rejects(
    discoverServerMetadata(deps, "http://as.example/tenant"),
    /cannot discover metadata at http:\/\/as\.example: https is required/,
  );
  assert.equal(deps.requests.length, 0);
});
