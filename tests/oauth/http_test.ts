import assert from "node:assert/strict";
import { Secret } from "../../src/model/secret.ts";
import {
  effectiveAuthMethod,
  type EndpointRequest,
  formEncode,
  MAX_RESPONSE_BYTES,
  networkReason,
  nonSecretFields,
  redactedFields,
  sendRequest,
} from "../../src/oauth/http.ts";
import { EndpointUnreachableError } from "../../src/oauth/types.ts";
import { testDeps } from "./_helpers.ts";

Deno.test.sanitizer?.({ ops: true, resources: true });

function fetchFailure(detail: string): TypeError {
  return new TypeError("fetch failed", {
    cause: new Error(
      `error sending request for url (https://as.example/token?x=1): client error (Connect): ${detail}`,
    ),
  });
}

Deno.test("networkReason: the docs/contract.md §4 phrases on every OS's wording", () => {
  const host = "as.example";
  const cases: [unknown, string][] = [
    [
      new DOMException("The operation was aborted due to timeout", "TimeoutError"),
      "connection timed out",
    ],
    [
      fetchFailure("tcp connect error: Connection timed out (os error 110)"),
      "connection timed out",
    ],
    [fetchFailure("tcp connect error: Connection refused (os error 111)"), "connection refused"],
    [
      fetchFailure(
        "tcp connect error: No connection could be made because the target machine actively refused it. (os error 10061)",
      ),
      "connection refused",
    ],
    [
      fetchFailure("dns error: failed to lookup address information: Name or service not known"),
      "could not resolve host as.example",
    ],
    [
      fetchFailure(
        "dns error: failed to lookup address information: nodename nor servname provided, or not known",
      ),
      "could not resolve host as.example",
    ],
    [
      fetchFailure("dns error: No such host is known. (os error 11001)"),
      "could not resolve host as.example",
    ],
    [
      fetchFailure("invalid peer certificate: UnknownIssuer"),
      "network error: invalid peer certificate: unknownissuer",
    ],
    ["weird", "network error: weird"],
  ];
  for (const [error, expected] of cases) assert.equal(networkReason(error, host), expected);
  const long = networkReason(fetchFailure("x".repeat(300)), host);
  assert.ok(long.length <= "network error: ".length + 100);
  assert.equal(
    networkReason(fetchFailure("see https://secret.example/a?b=c"), host),
    "network error: see <url>",
  );
});

Deno.test("formEncode is application/x-www-form-urlencoded", () => {
  assert.equal(formEncode("a b+c:d&e=f/é~*"), "a+b%2Bc%3Ad%26e%3Df%2F%C3%A9%7E*");
});

Deno.test("effectiveAuthMethod", () => {
  const secret = new Secret("s3cr3t-value");
  assert.equal(effectiveAuthMethod({ clientId: "a", clientSecret: null }, undefined), "none");
  assert.equal(
    effectiveAuthMethod({ clientId: "a", clientSecret: new Secret("") }, undefined),
    "none",
  );
  assert.equal(
    effectiveAuthMethod({ clientId: "a", clientSecret: secret }, undefined),
    "client_secret_post",
  );
  assert.equal(
    effectiveAuthMethod({ clientId: "a", clientSecret: secret }, "client_secret_basic"),
    "client_secret_basic",
  );
  assert.equal(effectiveAuthMethod({ clientId: "a", clientSecret: secret }, "none"), "none");
});

Deno.test("redactedFields shows only harmless values", () => {
  assert.deepEqual(
    redactedFields({
      grant_type: "authorization_code",
      code: "c",
      code_verifier: "v",
      redirect_uri: "http://127.0.0.1:7999/callback",
      client_id: "id",
      client_secret: "s",
      something_new: "x",
    }),
    {
      grant_type: "authorization_code",
      code: "[redacted]",
      code_verifier: "[redacted]",
      redirect_uri: "http://127.0.0.1:7999/callback",
      client_id: "id",
      client_secret: "[redacted]",
      something_new: "[redacted]",
    },
  );
});

Deno.test("nonSecretFields drops secret-named keys at every depth", () => {
  assert.deepEqual(
    nonSecretFields({
      token_type: "bearer",
      id_token: "jwt",
      api_key: "k",
      nested: { password: "p", name: "n", list: [{ access_token: "t", id: 1 }] },
      expires_in: 5,
    }),
    { token_type: "bearer", nested: { name: "n", list: [{ id: 1 }] }, expires_in: 5 },
  );
});

Deno.test("sendRequest reads a body up to 1 MiB and refuses a larger one without reading it all", async () => {
  let served = 0;
  const fetchOf = (size: number) => (_input: string | URL | Request, init?: RequestInit) => {
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= size) return controller.close();
        const chunk = new Uint8Array(Math.min(64 * 1024, size - sent)).fill(0x61);
        sent += chunk.length;
        served = sent;
        controller.enqueue(chunk);
      },
    });
    assert.ok(init?.signal);
    return Promise.resolve(new Response(body, { headers: { "content-type": "text/plain" } }));
  };
  const request: EndpointRequest = {
    url: "https://as.example/token",
    method: "POST",
    headers: new Headers(),
    timeoutMs: 5000,
    followRedirects: false,
  };
  const ok = await sendRequest({ ...testDeps(), fetch: fetchOf(MAX_RESPONSE_BYTES) }, request);
  assert.equal(ok.text.length, MAX_RESPONSE_BYTES);
  await assert.rejects(
    sendRequest({ ...testDeps(), fetch: fetchOf(50 * MAX_RESPONSE_BYTES) }, request),
    (error) => {
      assert.ok(error instanceof EndpointUnreachableError, String(error));
      assert.equal(error.message, "response over 1024 KiB");
      return true;
    },
  );
  assert.ok(served < 2 * MAX_RESPONSE_BYTES, `stopped reading after ${served} bytes`);
});
