import assert from "node:assert/strict";
import { AuthenticationError, InterruptedError } from "../../src/errors.ts";
import { Secret } from "../../src/model/secret.ts";
import {
  DEVICE_CODE_GRANT_TYPE,
  DEVICE_DENIED_MESSAGE,
  DEVICE_EXPIRED_MESSAGE,
  DEVICE_TIMEOUT_MESSAGE,
  type DeviceAuthorization,
  pollForDeviceToken,
  startDeviceAuthorization,
} from "../../src/oauth/device_code.ts";
import { EndpointUnreachableError, OAuthProtocolError } from "../../src/oauth/types.ts";
import { fields, form, json, type TestDeps, testDeps } from "./_helpers.ts";

Deno.test.sanitizer?.({ ops: true, resources: true });

const DEVICE_URL = "https://as.example/device/code";
const TOKEN_URL = "https://as.example/token";
const CLIENT = { clientId: "device-client", clientSecret: null };
const DEVICE_CODE = "device-code-secret-123";

function authorization(deps: TestDeps, overrides: Partial<DeviceAuthorization> = {}) {
  return {
    deviceCode: new Secret(DEVICE_CODE),
    userCode: "WDJB-MJHT",
    verificationUri: "https://as.example/device",
    verificationUriComplete: null,
    expiresIn: 900,
    interval: 5,
    expiresAt: deps.now() + 900_000,
    ...overrides,
  };
}

/** A token endpoint answering from a script, one answer per poll. */
function scripted(answers: (() => Response)[]) {
  let i = 0;
  return () => {
    const next = answers[Math.min(i++, answers.length - 1)];
    return next();
  };
}

const pending = () => json({ error: "authorization_pending" }, 400);
const slowDown = () => json({ error: "slow_down" }, 400);
const granted = () => json({ access_token: "device-at-1", token_type: "Bearer", expires_in: 3600 });

/** Gaps between consecutive polls, in seconds. */
function gaps(deps: TestDeps, start: number): number[] {
  const times = [start, ...deps.fetchTimes];
  return times.slice(1).map((t, i) => (t - times[i]) / 1000);
}

Deno.test("startDeviceAuthorization reads the response and applies defaults", async () => {
  const deps = testDeps(() =>
    json({
      device_code: DEVICE_CODE,
      user_code: "WDJB-MJHT",
      verification_url: "https://www.google.com/device",
    })
  );
  const start = deps.now();
  const auth = await startDeviceAuthorization(deps, {
    url: DEVICE_URL,
    client: { clientId: "cid", clientSecret: new Secret("device-secret-9") },
    scopes: ["read", "write"],
  });
  assert.equal(auth.deviceCode.reveal(), DEVICE_CODE);
  assert.equal(auth.userCode, "WDJB-MJHT");
  assert.equal(auth.verificationUri, "https://www.google.com/device");
  assert.equal(auth.verificationUriComplete, null);
  assert.equal(auth.expiresIn, 900);
  assert.equal(auth.interval, 5);
  assert.equal(auth.expiresAt, start + 900_000);
  assert.deepEqual(fields(deps.bodies[0]), {
    scope: "read write",
    client_id: "cid",
    client_secret: "device-secret-9",
  });
  assert.equal(deps.logText().includes(DEVICE_CODE), false);
  assert.equal(deps.logText().includes("device-secret-9"), false);
  assert.equal(JSON.stringify(auth).includes(DEVICE_CODE), false);
});

Deno.test("startDeviceAuthorization keeps the server's values (string numbers included)", async () => {
  const deps = testDeps(() =>
    form({
      device_code: DEVICE_CODE,
      user_code: "ABCD-EFGH",
      verification_uri: "https://github.com/login/device",
      verification_uri_complete: "https://github.com/login/device?user_code=ABCD-EFGH",
      expires_in: "899",
      interval: "10",
    })
  );
  const auth = await startDeviceAuthorization(deps, {
    url: DEVICE_URL,
    client: CLIENT,
    scopes: [],
  });
  assert.equal(auth.expiresIn, 899);
  assert.equal(auth.interval, 10);
  assert.equal(
    auth.verificationUriComplete,
    "https://github.com/login/device?user_code=ABCD-EFGH",
  );
  assert.deepEqual(fields(deps.bodies[0]), { client_id: "device-client" });
});

Deno.test("startDeviceAuthorization: errors", async () => {
  await assert.rejects(
    startDeviceAuthorization(testDeps(() => json({ error: "invalid_client" }, 401)), {
      url: DEVICE_URL,
      client: CLIENT,
      scopes: [],
    }),
    (error) => error instanceof OAuthProtocolError && error.oauthError === "invalid_client",
  );
  await assert.rejects(
    startDeviceAuthorization(testDeps(() => json({ user_code: "x", verification_uri: "y" })), {
      url: DEVICE_URL,
      client: CLIENT,
      scopes: [],
    }),
    (error) =>
      error instanceof EndpointUnreachableError &&
      error.reason === "invalid response from device authorization endpoint: no device_code",
  );
  await assert.rejects(
    startDeviceAuthorization(testDeps(() => new Response("", { status: 503 })), {
      url: DEVICE_URL,
      client: CLIENT,
      scopes: [],
    }),
    (error) =>
      error instanceof EndpointUnreachableError &&
      error.reason === "HTTP 503 from device authorization endpoint",
  );
});

Deno.test("poll: pending, slow_down, pending, ok => gaps 5, 10, 10 s", async () => {
  const deps = testDeps(scripted([pending, slowDown, pending, granted]));
  const start = deps.now();
  const tokens = await pollForDeviceToken(deps, {
    tokenUrl: TOKEN_URL,
    authorization: authorization(deps),
    client: CLIENT,
  });
  assert.equal(tokens.accessToken.reveal(), "device-at-1");
  assert.deepEqual(deps.sleeps, [5000, 5000, 10_000, 10_000]);
  // One interval before the first poll, then gaps of 5, 10, 10 s between the polls.
  assert.deepEqual(gaps(deps, start), [5, 5, 10, 10]);
  assert.deepEqual(fields(deps.bodies[0]), {
    grant_type: DEVICE_CODE_GRANT_TYPE,
    device_code: DEVICE_CODE,
    client_id: "device-client",
  });
  assert.equal(deps.logText().includes(DEVICE_CODE), false);
});

Deno.test("poll: each slow_down adds 5 s for every later poll (GitHub 200-with-error)", async () => {
  const githubSlow = () => form({ error: "slow_down", interval: "10" });
  const githubPending = () => form({ error: "authorization_pending" });
  const deps = testDeps(scripted([githubSlow, githubSlow, githubPending, granted]));
  await pollForDeviceToken(deps, {
    tokenUrl: TOKEN_URL,
    authorization: authorization(deps),
    client: CLIENT,
  });
  assert.deepEqual(deps.sleeps, [5000, 10_000, 15_000, 15_000]);
});

Deno.test("poll: the JSON body (Postiz)", async () => {
  const deps = testDeps(scripted([granted]));
  await pollForDeviceToken(deps, {
    tokenUrl: TOKEN_URL,
    authorization: authorization(deps),
    client: CLIENT,
    json: true,
  });
  assert.equal(deps.requests[0].headers.get("content-type"), "application/json");
  assert.deepEqual(JSON.parse(deps.bodies[0]), {
    grant_type: DEVICE_CODE_GRANT_TYPE,
    device_code: DEVICE_CODE,
    client_id: "device-client",
  });
});

Deno.test("poll: access_denied and expired_token stop with clear messages", async () => {
  const denied = testDeps(scripted([pending, () => json({ error: "access_denied" }, 400)]));
  await assert.rejects(
    pollForDeviceToken(denied, {
      tokenUrl: TOKEN_URL,
      authorization: authorization(denied),
      client: CLIENT,
    }),
    (error) => {
      assert.ok(error instanceof AuthenticationError);
      assert.equal(error.message, DEVICE_DENIED_MESSAGE);
      assert.equal(error.message, "the authorization request was denied");
      return true;
    },
  );
  const expired = testDeps(scripted([() => form({ error: "expired_token" })]));
  await assert.rejects(
    pollForDeviceToken(expired, {
      tokenUrl: TOKEN_URL,
      authorization: authorization(expired),
      client: CLIENT,
    }),
    (error) => {
      assert.ok(error instanceof AuthenticationError);
      assert.equal(error.message, DEVICE_EXPIRED_MESSAGE);
      assert.equal(error.message, "the device code expired; run the login again");
      return true;
    },
  );
});

Deno.test("poll: other OAuth errors are rethrown", async () => {
  const deps = testDeps(scripted([() => json({ error: "invalid_client" }, 401)]));
  await assert.rejects(
    pollForDeviceToken(deps, {
      tokenUrl: TOKEN_URL,
      authorization: authorization(deps),
      client: CLIENT,
    }),
    (error) => error instanceof OAuthProtocolError && error.oauthError === "invalid_client",
  );
});

Deno.test("poll: stops at expires_in", async () => {
  const deps = testDeps(scripted([pending]));
  const start = deps.now();
  await assert.rejects(
    pollForDeviceToken(deps, {
      tokenUrl: TOKEN_URL,
      authorization: authorization(deps, { expiresIn: 12, expiresAt: start + 12_000 }),
      client: CLIENT,
    }),
    (error) => {
      assert.ok(error instanceof AuthenticationError);
      assert.equal(error.message, DEVICE_TIMEOUT_MESSAGE);
      assert.match(error.message, /timed out/);
      return true;
    },
  );
  assert.deepEqual(deps.sleeps, [5000, 5000, 2000]);
  assert.equal(deps.requests.length, 2);
  assert.equal(deps.now(), start + 12_000);
});

Deno.test("poll: network errors and 5xx keep polling, backing off", async () => {
  let calls = 0;
  const deps = testDeps(() => {
    calls++;
    if (calls === 1) {
      throw new TypeError("fetch failed", { cause: new Error("Connection refused") });
    }
    if (calls === 2) return new Response("down", { status: 503 });
    if (calls === 3) return new Response("slow", { status: 429 });
    if (calls === 4) return pending();
    return granted();
  });
  const tokens = await pollForDeviceToken(deps, {
    tokenUrl: TOKEN_URL,
    authorization: authorization(deps),
    client: CLIENT,
  });
  assert.equal(tokens.accessToken.reveal(), "device-at-1");
  assert.deepEqual(deps.sleeps, [5000, 10_000, 20_000, 40_000, 5000]);
  assert.ok(deps.logs.some((line) => line.fields?.reason === "connection refused"));
});

Deno.test("poll: the backoff never exceeds 60 s nor the deadline", async () => {
  const deps = testDeps(() => new Response("down", { status: 502 }));
  const start = deps.now();
  await assert.rejects(
    pollForDeviceToken(deps, {
      tokenUrl: TOKEN_URL,
      authorization: authorization(deps, { expiresAt: start + 200_000 }),
      client: CLIENT,
    }),
    /timed out/,
  );
  assert.deepEqual(deps.sleeps, [5000, 10_000, 20_000, 40_000, 60_000, 60_000, 5000]);
});

Deno.test("poll: Ctrl-C during the wait is InterruptedError", async () => {
  const controller = new AbortController();
  const deps = testDeps(scripted([pending]), { signal: controller.signal });
  deps.sleep = (ms) => {
    deps.sleeps.push(ms);
    if (deps.sleeps.length === 1) return Promise.resolve();
    controller.abort(); // Ctrl-C while waiting for the second poll
    return new Promise(() => {});
  };
  await assert.rejects(
    pollForDeviceToken(deps, {
      tokenUrl: TOKEN_URL,
      authorization: authorization(deps),
      client: CLIENT,
    }),
    InterruptedError,
  );
  assert.equal(deps.requests.length, 1);
});
