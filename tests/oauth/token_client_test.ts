import assert from "node:assert/strict";
import { InterruptedError } from "../../src/errors.ts";
import { Secret } from "../../src/model/secret.ts";
import {
  exchangeAuthorizationCode,
  refreshAccessToken,
  requestToken,
} from "../../src/oauth/token_client.ts";
import {
  EndpointUnreachableError,
  OAuthProtocolError,
  type TokenSet,
} from "../../src/oauth/types.ts";
import { closedPort, fields, form, json, testDeps, withRawServer, withServer } from "./_helpers.ts";

Deno.test.sanitizer?.({ ops: true, resources: true });

const TOKEN_URL = "https://as.example/oauth/token";
const OK = { access_token: "at-new-0001", refresh_token: "rt-new-0001", expires_in: 3600 };

async function reason(promise: Promise<TokenSet>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof EndpointUnreachableError, `expected unreachable, got ${error}`);
    return error.reason;
  }
  assert.fail("did not throw");
}

Deno.test("requestToken: client_secret_post by default when a secret exists", async () => {
  const deps = testDeps(() => json(OK));
  const tokens = await requestToken(deps, {
    url: TOKEN_URL,
    params: { grant_type: "refresh_token", refresh_token: "rt-old-secret-1" },
    client: { clientId: "cid", clientSecret: new Secret("csecret-value-1") },
  });
  assert.equal(tokens.accessToken.reveal(), "at-new-0001");
  const [request] = deps.requests;
  assert.equal(request.method, "POST");
  assert.equal(request.url, TOKEN_URL);
  assert.equal(request.headers.get("accept"), "application/json");
  assert.equal(request.headers.get("content-type"), "application/x-www-form-urlencoded");
  assert.equal(request.headers.get("authorization"), null);
  assert.deepEqual(fields(deps.bodies[0]), {
    grant_type: "refresh_token",
    refresh_token: "rt-old-secret-1",
    client_id: "cid",
    client_secret: "csecret-value-1",
  });
});

Deno.test("requestToken: a public client sends only client_id (none)", async () => {
  const deps = testDeps(() => json(OK));
  await requestToken(deps, {
    url: TOKEN_URL,
    params: { grant_type: "refresh_token", refresh_token: "rt-old-secret-1" },
    client: { clientId: "public-id", clientSecret: null },
    authMethod: "client_secret_basic",
  });
  assert.deepEqual(fields(deps.bodies[0]), {
    grant_type: "refresh_token",
    refresh_token: "rt-old-secret-1",
    client_id: "public-id",
  });
  assert.equal(deps.requests[0].headers.get("authorization"), null);
});

Deno.test("requestToken: client_secret_basic form-encodes id and secret (RFC 6749 §2.3.1)", async () => {
  const deps = testDeps(() => json(OK));
  await requestToken(deps, {
    url: TOKEN_URL,
    params: { grant_type: "refresh_token", refresh_token: "rt-old-secret-1" },
    client: { clientId: "my:id é", clientSecret: new Secret("s:&+ /=%x") },
    authMethod: "client_secret_basic",
  });
  const header = deps.requests[0].headers.get("authorization") ?? "";
  assert.match(header, /^Basic /);
  const decoded = atob(header.slice("Basic ".length));
  assert.equal(decoded, "my%3Aid+%C3%A9:s%3A%26%2B+%2F%3D%25x");
  const [id, secret] = decoded.split(":").map((part) =>
    decodeURIComponent(part.replace(/\+/g, " "))
  );
  assert.equal(id, "my:id é");
  assert.equal(secret, "s:&+ /=%x");
  assert.deepEqual(fields(deps.bodies[0]), {
    grant_type: "refresh_token",
    refresh_token: "rt-old-secret-1",
  });
});

Deno.test("requestToken: JSON body when asked", async () => {
  const deps = testDeps(() => json(OK));
  await requestToken(deps, {
    url: TOKEN_URL,
    params: {
      grant_type: "urn:ietf:params:oauth:grant-type:device_code",
      device_code: "dc-1234567",
    },
    client: { clientId: "cid", clientSecret: null },
    json: true,
  });
  assert.equal(deps.requests[0].headers.get("content-type"), "application/json");
  assert.deepEqual(JSON.parse(deps.bodies[0]), {
    grant_type: "urn:ietf:params:oauth:grant-type:device_code",
    device_code: "dc-1234567",
    client_id: "cid",
  });
});

Deno.test("requestToken logs the URL and a redacted body, never secrets or success bodies", async () => {
  const deps = testDeps(() => json(OK));
  await refreshAccessToken(deps, {
    tokenUrl: TOKEN_URL,
    refreshToken: new Secret("rt-old-secret-1"),
    client: { clientId: "cid", clientSecret: new Secret("csecret-value-1") },
    scope: "repo",
  });
  assert.equal(deps.logs.length, 1);
  assert.equal(deps.logs[0].level, "debug");
  assert.deepEqual(deps.logs[0].fields, {
    url: TOKEN_URL,
    auth_method: "client_secret_post",
    encoding: "form",
    body: {
      grant_type: "refresh_token",
      refresh_token: "[redacted]",
      scope: "repo",
      client_id: "cid",
      client_secret: "[redacted]",
    },
  });
  for (const secret of ["rt-old-secret-1", "csecret-value-1", "at-new-0001", "rt-new-0001"]) {
    assert.equal(deps.logText().includes(secret), false, secret);
  }
});

Deno.test("requestToken logs the status and full body of a failed response", async () => {
  const deps = testDeps(() =>
    json({ error: "invalid_grant", error_description: "refresh token revoked" }, 400)
  );
  await assert.rejects(
    refreshAccessToken(deps, {
      tokenUrl: TOKEN_URL,
      refreshToken: new Secret("rt-old-secret-1"),
      client: { clientId: "cid", clientSecret: null },
    }),
    (error) => error instanceof OAuthProtocolError && error.oauthError === "invalid_grant",
  );
  const failure = deps.logs.find((line) => line.message === "token endpoint request failed");
  assert.ok(failure);
  assert.equal(failure.fields?.status, 400);
  assert.equal(failure.fields?.url, TOKEN_URL);
  assert.equal(
    failure.fields?.body,
    '{"error":"invalid_grant","error_description":"refresh token revoked"}',
  );
  assert.equal(deps.logText().includes("rt-old-secret-1"), false);
});

Deno.test("requestToken: GitHub 200-with-error, form-encoded", async () => {
  const deps = testDeps(() => form({ error: "bad_refresh_token", error_description: "bad" }));
  const error = await refreshAccessToken(deps, {
    tokenUrl: TOKEN_URL,
    refreshToken: new Secret("ghr_oldoldold"),
    client: { clientId: "cid", clientSecret: new Secret("gh-secret-01") },
  }).catch((e) => e);
  assert.ok(error instanceof OAuthProtocolError);
  assert.equal(error.oauthError, "invalid_grant");
  assert.equal(error.httpStatus, 200);
});

Deno.test("exchangeAuthorizationCode sends code, redirect_uri and code_verifier", async () => {
  const deps = testDeps(() => json(OK));
  await exchangeAuthorizationCode(deps, {
    tokenUrl: TOKEN_URL,
    code: new Secret("auth-code-123"),
    redirectUri: "http://127.0.0.1:7999/callback",
    verifier: new Secret("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
    client: { clientId: "cid", clientSecret: null },
  });
  assert.deepEqual(fields(deps.bodies[0]), {
    grant_type: "authorization_code",
    code: "auth-code-123",
    redirect_uri: "http://127.0.0.1:7999/callback",
    code_verifier: "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
    client_id: "cid",
  });
  assert.equal(deps.logText().includes("auth-code-123"), false);
  assert.equal(deps.logText().includes("dBjftJeZ4CVP"), false);
});

Deno.test("requestToken: 5xx and 429 carry the real status", async () => {
  for (const status of [500, 502, 503, 429]) {
    const deps = testDeps(() => new Response("busy", { status }));
    assert.equal(
      await reason(requestToken(deps, {
        url: TOKEN_URL,
        params: { grant_type: "refresh_token", refresh_token: "x" },
        client: { clientId: "cid", clientSecret: null },
      })),
      `HTTP ${status} from token endpoint`,
    );
  }
});

const CLIENT = { clientId: "cid", clientSecret: null };
const PARAMS = { grant_type: "refresh_token", refresh_token: "rt-network-01" };

Deno.test("requestToken over the network: success against a real server", async () => {
  await withServer(async (request) => {
    const body = await request.text();
    return body.includes("rt-network-01") ? json(OK) : json({ error: "invalid_grant" }, 400);
  }, async (base) => {
    const tokens = await requestToken(testDeps(), {
      url: `${base}/token`,
      params: PARAMS,
      client: CLIENT,
    });
    assert.equal(tokens.refreshToken?.reveal(), "rt-new-0001");
  });
});

Deno.test("requestToken over the network: refused", async () => {
  const url = `http://127.0.0.1:${closedPort()}/token`;
  assert.equal(
    await reason(requestToken(testDeps(), { url, params: PARAMS, client: CLIENT })),
    "connection refused",
  );
});

Deno.test("requestToken over the network: DNS failure names the host", async () => {
  const url = "https://authsome-test-host.invalid/token";
  assert.equal(
    await reason(requestToken(testDeps(), { url, params: PARAMS, client: CLIENT })),
    "could not resolve host authsome-test-host.invalid",
  );
});

Deno.test("requestToken never sends a grant over plain http to a non-loopback host", async () => {
  const deps = testDeps(() => json({ access_token: "a1b2c3d4" }));
  for (const url of ["http://as.example/token", "http://10.0.0.5:8080/token"]) {
    const got = await reason(requestToken(deps, { url, params: PARAMS, client: CLIENT }));
    assert.match(
      got,
      /^refused to contact http:\/\/[^/]+: https is required \(http only for 127\.0\.0\.1, localhost and \[::1\]\)$/,
    );
  }
  assert.equal(deps.requests.length, 0, "nothing was sent");
  for (
    const url of ["http://127.0.0.1:9/token", "http://localhost:9/token", "http://[::1]:9/token"]
  ) {
    await requestToken(deps, { url, params: PARAMS, client: CLIENT });
  }
  assert.equal(deps.requests.length, 3, "loopback http is allowed");
});

Deno.test("requestToken over the network: a server that never answers times out", async () => {
  await withRawServer("silent", async (base) => {
    const started = performance.now();
    const got = await reason(
      requestToken(testDeps(), {
        url: `${base}/token`,
        params: PARAMS,
        client: CLIENT,
        timeoutMs: 150,
      }),
    );
    assert.equal(got, "connection timed out");
    assert.ok(performance.now() - started < 5000);
  });
});

Deno.test("requestToken over the network: a dropped connection is a short network error", async () => {
  await withRawServer("reset", async (base) => {
    const got = await reason(
      requestToken(testDeps(), { url: `${base}/token`, params: PARAMS, client: CLIENT }),
    );
    assert.match(got, /^network error: [a-z]/);
    assert.equal(got.includes("127.0.0.1"), false);
    assert.equal(got.includes("http"), false);
  });
});

Deno.test("requestToken over the network: redirects are not followed", async () => {
  let posts = 0;
  await withServer((request) => {
    if (new URL(request.url).pathname === "/token") {
      return new Response(null, { status: 307, headers: { Location: "/elsewhere" } });
    }
    posts++;
    return json(OK);
  }, async (base) => {
    assert.equal(
      await reason(
        requestToken(testDeps(), { url: `${base}/token`, params: PARAMS, client: CLIENT }),
      ),
      "HTTP 307 from token endpoint",
    );
  });
  assert.equal(posts, 0);
});

Deno.test("requestToken: Ctrl-C before or during the request is InterruptedError", async () => {
  const before = new AbortController();
  before.abort();
  const early = testDeps(() => json(OK), { signal: before.signal });
  await assert.rejects(
    requestToken(early, { url: TOKEN_URL, params: PARAMS, client: CLIENT }),
    InterruptedError,
  );
  assert.equal(early.requests.length, 0);

  const during = new AbortController();
  const { promise: never } = Promise.withResolvers<Response>();
  const deps = testDeps(() => {
    queueMicrotask(() => during.abort());
    return never;
  }, { signal: during.signal });
  await assert.rejects(
    requestToken(deps, { url: TOKEN_URL, params: PARAMS, client: CLIENT }),
    InterruptedError,
  );
});

Deno.test("requestToken over the network: Ctrl-C during a hanging request", async () => {
  await withRawServer("silent", async (base) => {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), 50);
    try {
      await assert.rejects(
        requestToken(testDeps(undefined, { signal: controller.signal }), {
          url: `${base}/token`,
          params: PARAMS,
          client: CLIENT,
        }),
        InterruptedError,
      );
    } finally {
      clearTimeout(timer);
    }
  });
});

Deno.test("requestToken: an invalid URL is a network error", async () => {
  assert.equal(
    await reason(
      requestToken(testDeps(() => json(OK)), { url: "not a url", params: PARAMS, client: CLIENT }),
    ),
    "network error: invalid URL",
  );
});
