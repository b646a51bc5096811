import assert from "node:assert/strict";
import {
  BadRequest,
  bodyFraming,
  ByteReader,
  copyBody,
  parseRequestHead,
  serializeHead,
} from "../../src/run/http1.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function head(text: string) {
  return parseRequestHead(encoder.encode(`${text}\r\n\r\n`));
}

function readerOf(...chunks: string[]): ByteReader {
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
      controller.close();
    },
  });
  return new ByteReader(stream.getReader());
}

Deno.test("http1: a head round-trips with its header values untouched", () => {
  const parsed = head("POST /v1/x?q=1 HTTP/1.1\r\nHost: a.test\r\nX-Thing:  spaced value");
  assert.equal(parsed.method, "POST");
  assert.equal(parsed.target, "/v1/x?q=1");
  assert.deepEqual(parsed.headers, [["Host", "a.test"], ["X-Thing", "spaced value"]]);
  assert.equal(
    decoder.decode(serializeHead(parsed)),
    "POST /v1/x?q=1 HTTP/1.1\r\nHost: a.test\r\nX-Thing: spaced value\r\n\r\n",
  );
});

Deno.test("http1: framing that two parsers could read differently is refused (smuggling)", () => {
  const refused = [
    "POST / HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked",
    "POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked",
    "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: identity",
    "POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6",
    "POST / HTTP/1.1\r\nContent-Length: -1",
    "POST / HTTP/1.1\r\nContent-Length: 0x10",
  ];
  for (const text of refused) assert.throws(() => bodyFraming(head(text)), BadRequest, text);
  for (
    const text of [
      "GET / HTTP/1.1\r\nHost: a\r\n folded",
      "GET / HTTP/1.1\r\nBad Name: x",
      "GET / HTTP/1.1\r\nX: a\rb",
      "GET /  HTTP/1.1",
      "GET / HTTP/2.0",
    ]
  ) {
    assert.throws(() => head(text), BadRequest, text);
  }
  assert.deepEqual(bodyFraming(head("POST / HTTP/1.1\r\nContent-Length: 7, 7")), {
    kind: "length",
    length: 7,
  });
  assert.deepEqual(bodyFraming(head("GET / HTTP/1.1")), { kind: "length", length: 0 });
  assert.deepEqual(bodyFraming(head("POST / HTTP/1.1\r\nTransfer-Encoding: Chunked")), {
    kind: "chunked",
  });
});

Deno.test("http1: a chunked body is copied verbatim and the next request starts after it", async () => {
  const body = "4;ext=1\r\nWiki\r\n5\r\npedia\r\n0\r\nTrailer: x\r\n\r\n";
  const reader = readerOf(body.slice(0, 7), body.slice(7), "GET /next HTTP/1.1\r\n\r\n");
  const copied: string[] = [];
  await copyBody(reader, { kind: "chunked" }, (bytes) => {
    copied.push(decoder.decode(bytes));
    return Promise.resolve();
  });
  assert.equal(copied.join(""), body);
  const next = await reader.until("\r\n\r\n", 1024);
  assert.equal(decoder.decode(next!), "GET /next HTTP/1.1\r\n\r\n");
  assert.equal(await reader.until("\r\n\r\n", 1024), null);
});

Deno.test("http1: a chunk not followed by CRLF is refused", async () => {
  await assert.rejects(
    copyBody(readerOf("3\r\nabcX\r\n0\r\n\r\n"), { kind: "chunked" }, () => Promise.resolve()),
    BadRequest,
  );
});

Deno.test("http1: chunk lines and trailers a lenient upstream would split differently are refused", async () => {
  // Each would let the upstream see a request the proxy never parsed (or read the proxy's next
  // credential-bearing head as a body): bare LF in a chunk extension or trailer, a control
  // character, whitespace in the size.
  const smuggling = [
    "5;a\nb\r\nhello\r\n0\r\n\r\n",
    "5\n\r\nhello\r\n0\r\n\r\n",
    "5 \r\nhello\r\n0\r\n\r\n",
    "5;\x0b\r\nhello\r\n0\r\n\r\n",
    "0\r\nX: y\n\nGET /echo HTTP/1.1\r\n\r\n",
    "0\r\n folded\r\n\r\n",
    "0\r\nNo colon\r\n\r\n",
  ];
  for (const body of smuggling) {
    const written: string[] = [];
    await assert.rejects(
      copyBody(readerOf(body), { kind: "chunked" }, (bytes) => {
        written.push(decoder.decode(bytes));
        return Promise.resolve();
      }),
      BadRequest,
      JSON.stringify(body),
    );
    assert.ok(!written.join("").includes("\n\n"), "the offending line is not forwarded");
  }
  const fine = '5 ;name="v"\r\nhello\r\n0\r\nX-Trailer: ok\r\n\r\n';
  const copied: string[] = [];
  await copyBody(readerOf(fine), { kind: "chunked" }, (bytes) => {
    copied.push(decoder.decode(bytes));
    return Promise.resolve();
  });
  assert.equal(copied.join(""), fine);
});

Deno.test("http1: control characters in a head and Transfer-Encoding in HTTP/1.0 are refused", () => {
  for (
    const text of [
      "GET / HTTP/1.1\r\nContent-Length: 5\x0b",
      "GET / HTTP/1.1\r\nX: a\x00b",
      "GET /a\x0bb HTTP/1.1",
      "GET /\x7f HTTP/1.1",
    ]
  ) {
    assert.throws(() => head(text), BadRequest, JSON.stringify(text));
  }
  assert.throws(
    () => bodyFraming(head("POST / HTTP/1.0\r\nTransfer-Encoding: chunked")),
    BadRequest,
  );
  // NBSP is not whitespace to HTTP: the length is not a number.
  assert.throws(() => bodyFraming(head("POST / HTTP/1.1\r\nContent-Length: \xa05")), BadRequest);
});
