import assert from "node:assert/strict";
import { AuthenticationError, InterruptedError } from "../../src/errors.ts";
import {
  CALLBACK_TIMEOUT_MESSAGE,
  startCallbackListener,
  waitForAuthorizationCallback,
} from "../../src/oauth/callback_server.ts";
import { listen } from "./_helpers.ts";

Deno.test.sanitizer?.({ ops: true, resources: true });

const STATE = "Zm9yZ2VyeS1wcm9vZi1zdGF0ZS12YWx1ZS0xMjM0NTY";

async function get(url: string): Promise<{ status: number; text: string; headers: Headers }> {
  const response = await fetch(url);
  const text = await response.text();
  return { status: response.status, text, headers: response.headers };
}

Deno.test("callback: the right state and a code resolve; a second callback is refused", async () => {
  const listener = await startCallbackListener(listen, { port: 0, state: STATE });
  try {
    assert.ok(listener.port > 0);
    assert.equal(listener.redirectUri, `http://127.0.0.1:${listener.port}/callback`);
    const first = await get(
      `${listener.redirectUri}?code=auth-code-xyz&state=${STATE}&iss=https%3A%2F%2Fas.example`,
    );
    assert.equal(first.status, 200);
    assert.match(first.text, /You can close this tab/);
    assert.equal(first.text.includes("auth-code-xyz"), false);
    assert.equal(first.headers.get("referrer-policy"), "no-referrer");
    assert.equal(first.headers.get("cache-control"), "no-store");
    assert.match(first.headers.get("content-type") ?? "", /^text\/html/);
    assert.match(first.headers.get("content-security-policy") ?? "", /default-src 'none'/);
    assert.doesNotMatch(first.text, /https?:\/\//);

    const result = await listener.callback;
    assert.equal(result.code.reveal(), "auth-code-xyz");
    assert.equal(String(result.code), "[redacted]");
    assert.equal(result.redirectUri, listener.redirectUri);
    assert.equal(result.iss, "https://as.example");

    const second = await get(`${listener.redirectUri}?code=another-code&state=${STATE}`);
    assert.equal(second.status, 409);
    assert.match(second.text, /already complete/);
    assert.equal((await listener.callback).code.reveal(), "auth-code-xyz");
  } finally {
    await listener.close();
  }
  await assert.rejects(fetch(listener.redirectUri), TypeError);
});

Deno.test("callback: a forged error with a wrong or missing state cannot end the login", async () => {
  const listener = await startCallbackListener(listen, { port: 0, state: STATE });
  try {
    let settled = false;
    listener.callback.then(() => settled = true, () => settled = true);
    const forgeries = [
      "?error=access_denied&state=wrong",
      "?error=access_denied",
      `?error=access_denied&state=${STATE.slice(0, -1)}`,
      `?error=access_denied&state=${STATE}x`,
      `?code=evil&state=${STATE}&state=${STATE}`,
      "?code=evil",
    ];
    for (const query of forgeries) {
      const page = await get(`${listener.redirectUri}${query}`);
      assert.equal(page.status, 400, query);
      assert.match(page.text, /does not belong to the login in progress/);
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(settled, false);
    const real = await get(`${listener.redirectUri}?state=${STATE}&code=real-code-1`);
    assert.equal(real.status, 200);
    assert.equal((await listener.callback).code.reveal(), "real-code-1");
  } finally {
    await listener.close();
  }
});

Deno.test("callback: an error with the right state rejects, naming the error", async () => {
  const listener = await startCallbackListener(listen, { port: 0, state: STATE });
  try {
    const page = await get(
      `${listener.redirectUri}?error=access_denied&error_description=User+said+no&state=${STATE}`,
    );
    assert.equal(page.status, 200);
    assert.match(page.text, /Login failed/);
    assert.equal(page.text.includes("User said no"), false);
    await assert.rejects(listener.callback, (error) => {
      assert.ok(error instanceof AuthenticationError);
      assert.equal(
        error.message,
        "the authorization server returned an error: access_denied (User said no)",
      );
      return true;
    });
    const again = await get(`${listener.redirectUri}?code=late&state=${STATE}`);
    assert.equal(again.status, 409);
  } finally {
    await listener.close();
  }
});

Deno.test("callback: the right state without a code fails", async () => {
  const listener = await startCallbackListener(listen, { port: 0, state: STATE });
  try {
    assert.equal((await get(`${listener.redirectUri}?state=${STATE}`)).status, 400);
    await assert.rejects(listener.callback, /no authorization code/);
  } finally {
    await listener.close();
  }
});

Deno.test("callback: a different iss than the expected issuer fails (mix-up)", async () => {
  const listener = await startCallbackListener(listen, {
    port: 0,
    state: STATE,
    expectedIssuer: "https://as.example",
  });
  try {
    const page = await get(`${listener.redirectUri}?code=c1c1c1&state=${STATE}&iss=https://evil`);
    assert.equal(page.status, 400);
    await assert.rejects(
      listener.callback,
      (e: Error) =>
        e instanceof AuthenticationError && e.exitCode === 4 &&
        e.message ===
          'the authorization response came from a different server: iss "https://evil" is not ' +
            'the expected issuer "https://as.example" (RFC 9207); the login was refused',
    );
  } finally {
    await listener.close();
  }
});

Deno.test("callback: no iss when the server's metadata promises one fails (RFC 9207)", async () => {
  const listener = await startCallbackListener(listen, {
    port: 0,
    state: STATE,
    expectedIssuer: "https://as.example",
    requireIssuer: true,
  });
  try {
    const page = await get(`${listener.redirectUri}?code=c1c1c1&state=${STATE}`);
    assert.equal(page.status, 400);
    await assert.rejects(
      listener.callback,
      /^AuthenticationError: the authorization response carried no iss, but https:\/\/as\.example says it always sends one \(RFC 9207\)/,
    );
  } finally {
    await listener.close();
  }
});

Deno.test("callback: the expected iss, or none when it is optional, succeeds", async () => {
  for (const query of ["&iss=https%3A%2F%2Fas.example", ""]) {
    const listener = await startCallbackListener(listen, {
      port: 0,
      state: STATE,
      expectedIssuer: "https://as.example",
      requireIssuer: query !== "",
    });
    try {
      await get(`${listener.redirectUri}?code=c1c1c1&state=${STATE}${query}`);
      const result = await listener.callback;
      assert.equal(result.code.reveal(), "c1c1c1");
    } finally {
      await listener.close();
    }
  }
});

Deno.test("callback: the IPv6 loopback when asked, or when 127.0.0.1 is unavailable", async () => {
  const asked = await startCallbackListener(listen, { port: 0, state: STATE, host: "[::1]" });
  try {
    assert.equal(asked.redirectUri, `http://[::1]:${asked.port}/callback`);
    await get(`${asked.redirectUri}?code=v6v6v6&state=${STATE}`);
    assert.equal((await asked.callback).code.reveal(), "v6v6v6");
  } finally {
    await asked.close();
  }
  const hosts: string[] = [];
  const noIpv4: typeof listen = (options, handler) => {
    hosts.push(options.hostname);
    if (options.hostname === "127.0.0.1") {
      const error = new Error("Cannot assign requested address (os error 99)");
      error.name = "AddrNotAvailable";
      return Promise.reject(error);
    }
    return listen(options, handler);
  };
  const fallback = await startCallbackListener(noIpv4, { port: 0, state: STATE });
  try {
    assert.deepEqual(hosts, ["127.0.0.1", "::1"]);
    assert.equal(fallback.redirectUri, `http://[::1]:${fallback.port}/callback`);
  } finally {
    await fallback.close();
  }
  // A port in use is not a reason to move: the error stands.
  const busy: typeof listen = () => {
    const error = new Error("Address already in use (os error 98)");
    error.name = "AddrInUse";
    return Promise.reject(error);
  };
  await assert.rejects(startCallbackListener(busy, { port: 7999, state: STATE }), /in use/);
});

Deno.test("callback: other paths are 404 and other methods 405, without settling", async () => {
  const listener = await startCallbackListener(listen, { port: 0, state: STATE, path: "/cb" });
  try {
    assert.equal(listener.redirectUri, `http://127.0.0.1:${listener.port}/cb`);
    const favicon = await get(`http://127.0.0.1:${listener.port}/favicon.ico`);
    assert.equal(favicon.status, 404);
    const other = await get(`http://127.0.0.1:${listener.port}/callback?code=x&state=${STATE}`);
    assert.equal(other.status, 404);
    const post = await fetch(`${listener.redirectUri}?code=x&state=${STATE}`, { method: "POST" });
    await post.body?.cancel();
    assert.equal(post.status, 405);
    assert.equal((await get(`${listener.redirectUri}?code=ok-code&state=${STATE}`)).status, 200);
    assert.equal((await listener.callback).code.reveal(), "ok-code");
  } finally {
    await listener.close();
  }
});

Deno.test("callback: times out with a clear message", async () => {
  const listener = await startCallbackListener(listen, { port: 0, state: STATE, timeoutMs: 50 });
  try {
    await assert.rejects(listener.callback, (error) => {
      assert.ok(error instanceof AuthenticationError);
      assert.equal(error.message, CALLBACK_TIMEOUT_MESSAGE);
      return true;
    });
    const late = await get(`${listener.redirectUri}?code=late&state=${STATE}`);
    assert.equal(late.status, 410);
  } finally {
    await listener.close();
  }
});

Deno.test("callback: Ctrl-C rejects with InterruptedError", async () => {
  const controller = new AbortController();
  const listener = await startCallbackListener(listen, {
    port: 0,
    state: STATE,
    signal: controller.signal,
  });
  try {
    controller.abort();
    await assert.rejects(listener.callback, InterruptedError);
  } finally {
    await listener.close();
  }
  const aborted = new AbortController();
  aborted.abort();
  await assert.rejects(
    startCallbackListener(listen, { port: 0, state: STATE, signal: aborted.signal }),
    InterruptedError,
  );
});

Deno.test("callback: close() before the browser returns cancels the wait", async () => {
  const listener = await startCallbackListener(listen, { port: 0, state: STATE });
  await listener.close();
  await listener.close();
  await assert.rejects(listener.callback, /cancelled/);
});

Deno.test("waitForAuthorizationCallback: full round trip, closed before it resolves", async () => {
  let seen = "";
  let browser: Promise<number> | null = null;
  const result = await waitForAuthorizationCallback(listen, {
    port: 0,
    state: STATE,
    onListening(redirectUri) {
      seen = redirectUri;
      // The "browser": follows the redirect a moment later.
      browser = get(`${redirectUri}?state=${STATE}&code=round-trip`).then((r) => r.status);
    },
  });
  assert.equal(await browser, 200);
  assert.equal(result.code.reveal(), "round-trip");
  assert.equal(result.redirectUri, seen);
  assert.equal(result.iss, null);
  await result.close();
  await assert.rejects(fetch(seen), TypeError);
});

Deno.test("waitForAuthorizationCallback: a fixed port is used as given", async () => {
  const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (probe.addr as Deno.NetAddr).port;
  probe.close();
  await assert.rejects(
    waitForAuthorizationCallback(listen, {
      port,
      state: STATE,
      timeoutMs: 30,
      onListening(redirectUri) {
        assert.equal(redirectUri, `http://127.0.0.1:${port}/callback`);
      },
    }),
    /timed out waiting for the browser/,
  );
});

Deno.test("waitForAuthorizationCallback: an error in onListening closes the server", async () => {
  let uri = "";
  await assert.rejects(
    waitForAuthorizationCallback(listen, {
      port: 0,
      state: STATE,
      onListening(redirectUri) {
        uri = redirectUri;
        throw new Error("browser exploded");
      },
    }),
    /browser exploded/,
  );
  await assert.rejects(fetch(uri), TypeError);
});
