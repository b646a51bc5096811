/** The daemon client's HTTP/1.1 framing: the request bytes and response parsing. */
import assert from "node:assert/strict";
import { encodeRequest, parseResponse } from "../../src/daemon/http1.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

Deno.test("a request names the loopback host, the token, and a JSON body with its length", () => {
  const text = decoder.decode(encodeRequest({
    method: "POST",
    path: "/v1/token",
    port: 7998,
    token: "t0k",
    body: { provider: "openai" },
  }));
  const [head, body] = text.split("\r\n\r\n");
  assert.equal(body, '{"provider":"openai"}');
  const lines = head.split("\r\n");
  assert.equal(lines[0], "POST /v1/token HTTP/1.1");
  assert.ok(lines.includes("Host: 127.0.0.1:7998"));
  assert.ok(lines.includes("Authorization: Bearer t0k"));
  assert.ok(lines.includes("Connection: close"));
  assert.ok(lines.includes("Content-Type: application/json"));
  assert.ok(lines.includes(`Content-Length: ${body.length}`));
  assert.throws(() => encodeRequest({ method: "GET", path: "/a b", port: 1, token: "t" }));
  assert.throws(() => encodeRequest({ method: "GET", path: "/\r\nX: y", port: 1, token: "t" }));
});

Deno.test("responses parse with Content-Length, chunked encoding, or up to the end", () => {
  const fixed = parseResponse(encoder.encode(
    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\ncontent-length: 2\r\n\r\n{}",
  ));
  assert.equal(fixed.status, 200);
  assert.equal(fixed.headers.get("content-type"), "application/json");
  assert.equal(decoder.decode(fixed.body), "{}");
  const chunked = parseResponse(encoder.encode(
    'HTTP/1.1 401 Unauthorized\r\nTransfer-Encoding: chunked\r\n\r\n3\r\n{"a\r\n4;x=y\r\n":1}\r\n0\r\n\r\n',
  ));
  assert.equal(chunked.status, 401);
  assert.equal(decoder.decode(chunked.body), '{"a":1}');
  const open = parseResponse(encoder.encode("HTTP/1.0 503 Service Unavailable\r\n\r\nbusy"));
  assert.equal(open.status, 503);
  assert.equal(decoder.decode(open.body), "busy");
});

Deno.test("malformed or truncated responses are errors", () => {
  for (
    const text of [
      "",
      "HTTP/1.1 200 OK\r\n",
      "SSH-2.0-OpenSSH\r\n\r\n",
      "HTTP/1.1 200 OK\r\nbroken header\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n{}",
      "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    ]
  ) {
    assert.throws(() => parseResponse(encoder.encode(text)), Error, JSON.stringify(text));
  }
});
