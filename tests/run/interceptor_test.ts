import assert from "node:assert/strict";
import { type CredentialRequest, Interceptor } from "../../src/run/interceptor.ts";
import type { CredentialHeaders } from "../../src/run/credential_headers.ts";
import { buildRoutes } from "../../src/run/routing.ts";
import { createCertificateAuthority, issueLeafCertificate, LeafCache } from "../../src/run/x509.ts";
import { Secret } from "../../src/model/secret.ts";
import { denoPlatform } from "../../src/platform/deno.ts";

const silent = { debug() {}, info() {}, warn() {}, error() {} };
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Pre-compressed bytes the upstream sends as they are, whatever the request. */
const GZIPPED = new Uint8Array(
  await new Response(
    new Blob([encoder.encode("hello ".repeat(100))]).stream().pipeThrough(
      new CompressionStream("gzip"),
    ),
  ).arrayBuffer(),
);
const RESPONSE = new Uint8Array([
  ...encoder.encode(
    `HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: ${GZIPPED.length}\r\n\r\n`,
  ),
  ...GZIPPED,
]);

async function writeAll(conn: Deno.Conn, bytes: Uint8Array) {
  let written = 0;
  while (written < bytes.length) written += await conn.write(bytes.subarray(written));
}

/** A TLS upstream on 127.0.0.1 that records each request head and answers RESPONSE. */
async function upstream() {
  const now = new Date();
  const ca = await createCertificateAuthority({ commonName: "up", now, validDays: 1 });
  const leaf = await issueLeafCertificate(ca, { hostname: "127.0.0.1", now, validDays: 1 });
  const listener = Deno.listenTls({
    hostname: "127.0.0.1",
    port: 0,
    cert: leaf.certificatePem,
    key: leaf.privateKeyPkcs8Pem,
  });
  const heads: string[] = [];
  const tasks: Promise<void>[] = [];
  const accepting = (async () => {
    for await (const conn of listener) {
      tasks.push((async () => {
        let text = "";
        const buffer = new Uint8Array(4096);
        try {
          while (true) {
            const n = await conn.read(buffer);
            if (n === null) break;
            text += decoder.decode(buffer.subarray(0, n));
            while (text.includes("\r\n\r\n")) {
              heads.push(text.slice(0, text.indexOf("\r\n\r\n")));
              text = text.slice(text.indexOf("\r\n\r\n") + 4);
              await writeAll(conn, RESPONSE);
            }
          }
        } catch {
          // The proxy closed the connection.
        } finally {
          conn.close();
        }
      })());
    }
  })().catch(() => {});
  return {
    port: (listener.addr as Deno.NetAddr).port,
    caPem: ca.certificatePem,
    heads,
    async close() {
      listener.close();
      await accepting;
      await Promise.allSettled(tasks);
    },
  };
}

/** The interceptor on one end of a loopback TCP pair; the test speaks TLS on the other. */
async function intercepted(port: number, upstreamCa: string) {
  const ca = await createCertificateAuthority({ commonName: "run", now: new Date(), validDays: 1 });
  let asked = 0;
  const requests: CredentialRequest[] = [];
  let live = true;
  const credentials = {
    live: () => live,
    header: (_provider: string, _connection: string, request: CredentialRequest) => {
      requests.push(request);
      asked++;
      return Promise.resolve({ name: "X-Api-Key", value: new Secret("interceptor-secret") });
    },
  } as unknown as CredentialHeaders;
  const interceptor = new Interceptor(denoPlatform(), {
    leaves: new LeafCache(ca),
    table: buildRoutes([{
      provider: "p",
      connection: "default",
      hostUrl: `https://127.0.0.1:${port}`,
      excludedUrls: [],
    }]),
    credentials,
    log: silent,
    caCerts: [upstreamCa],
  });
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const raw = await Deno.connect({
    hostname: "127.0.0.1",
    port: (listener.addr as Deno.NetAddr).port,
  });
  const accepted = await listener.accept();
  listener.close();
  const handled = interceptor.handle(
    { readable: accepted.readable, writable: accepted.writable, close: () => accepted.close() },
    "127.0.0.1",
    port,
  );
  const client = await Deno.startTls(raw, { hostname: "127.0.0.1", caCerts: [ca.certificatePem] });
  return { client, handled, asked: () => asked, requests, end: () => live = false };
}

async function readBytes(conn: Deno.Conn, length: number): Promise<Uint8Array> {
  const out: number[] = [];
  const buffer = new Uint8Array(4096);
  while (out.length < length) {
    const n = await conn.read(buffer);
    if (n === null) break;
    out.push(...buffer.subarray(0, n));
  }
  return new Uint8Array(out);
}

Deno.test("interceptor: sets the key (overriding the client's), keeps the response byte-exact, serves keep-alive", async () => {
  const up = await upstream();
  const { client, handled } = await intercepted(up.port, up.caPem);
  try {
    const request = `GET /v1/a HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Api-Key: forged\r\n` +
      `Proxy-Authorization: Basic eA==\r\nAccept-Encoding: gzip\r\n\r\n`;
    await writeAll(client, encoder.encode(request));
    assert.deepEqual(await readBytes(client, RESPONSE.length), RESPONSE);
    await writeAll(client, encoder.encode("GET /v1/b HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"));
    assert.deepEqual(await readBytes(client, RESPONSE.length), RESPONSE);
  } finally {
    client.close();
    await handled;
    await up.close();
  }
  assert.equal(up.heads.length, 2, "both requests went over the one upstream connection");
  assert.equal(
    up.heads[0],
    "GET /v1/a HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept-Encoding: gzip\r\nX-Api-Key: interceptor-secret",
  );
  assert.match(
    up.heads[1],
    /^GET \/v1\/b HTTP\/1\.1\r\nHost: 127\.0\.0\.1\r\nX-Api-Key: interceptor-secret$/,
  );
});

Deno.test("interceptor: an ambiguously framed request gets 400 and never reaches the upstream", async () => {
  const up = await upstream();
  const { client, handled, asked } = await intercepted(up.port, up.caPem);
  let answer: string;
  try {
    await writeAll(
      client,
      encoder.encode(
        "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n" +
          "0\r\n\r\nGET /smuggled HTTP/1.1\r\n\r\n",
      ),
    );
    answer = decoder.decode(await readBytes(client, 1 << 20));
  } finally {
    client.close();
    await handled;
    await up.close();
  }
  assert.match(answer, /^HTTP\/1\.1 400 Bad Request\r\n/);
  assert.match(answer, /both Content-Length and Transfer-Encoding/);
  assert.deepEqual(up.heads, []);
  assert.equal(asked(), 0, "no credential was fetched");
});

/** Sends `request` on a fresh intercepted tunnel; returns the answer, heads upstream saw, lookups. */
async function exchange(request: string) {
  const up = await upstream();
  const { client, handled, asked, requests } = await intercepted(up.port, up.caPem);
  let answer: string;
  try {
    await writeAll(client, encoder.encode(request));
    answer = decoder.decode(await readBytes(client, 1 << 20));
  } finally {
    client.close();
    await handled;
    await up.close();
  }
  return { answer, heads: up.heads, asked: asked(), requests };
}

Deno.test("interceptor: a request naming another host than the tunnel's gets 421 and no credential (domain fronting)", async () => {
  for (
    const request of [
      "GET /v1/a HTTP/1.1\r\nHost: attacker.example\r\n\r\n",
      "GET https://attacker.example/v1/a HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
      "GET /v1/a HTTP/1.1\r\nHost: 127.0.0.1:1\r\n\r\n",
    ]
  ) {
    const { answer, heads, asked } = await exchange(request);
    assert.match(answer, /^HTTP\/1\.1 421 Misdirected Request\r\n/, request);
    assert.deepEqual(heads, [], request);
    assert.equal(asked, 0, request);
  }
  for (
    const request of [
      "GET /v1/a HTTP/1.1\r\nHost: 127.0.0.1\r\nHost: attacker.example\r\n\r\n",
      "GET /v1/a HTTP/1.1\r\n\r\n",
      "GET http://127.0.0.1/v1/a HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
    ]
  ) {
    const { answer, heads, asked } = await exchange(request);
    assert.match(answer, /^HTTP\/1\.1 400 Bad Request\r\n/, request);
    assert.deepEqual(heads, [], request);
    assert.equal(asked, 0, request);
  }
});

Deno.test("interceptor: a pipelined second request for another Host never gets the credential", async () => {
  const { answer, heads, asked } = await exchange(
    "GET /v1/a HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" +
      "GET /v1/b HTTP/1.1\r\nHost: attacker.example\r\n\r\n",
  );
  // The connection is cut at the refused request (the first answer may or may not make it).
  assert.ok(!answer.includes("421") || answer.startsWith("HTTP/1.1 200"), answer.slice(0, 200));
  assert.ok(heads.length <= 1, "only the first request went upstream");
  for (const head of heads) assert.match(head, /^GET \/v1\/a /);
  assert.equal(asked, 1);
});

Deno.test("interceptor: the credential lookup hears the method a request asks the server to use instead", async () => {
  const up = await upstream();
  const { client, handled, requests } = await intercepted(up.port, up.caPem);
  try {
    await writeAll(
      client,
      encoder.encode(
        "POST /v1/a HTTP/1.1\r\nHost: 127.0.0.1\r\nX-HTTP-Method-Override: DELETE\r\n" +
          "Content-Length: 0\r\n\r\n",
      ),
    );
    await readBytes(client, RESPONSE.length);
  } finally {
    client.close();
    await handled;
    await up.close();
  }
  assert.equal(requests.length, 1);
  assert.equal(requests[0].method, "POST");
  assert.deepEqual(requests[0].methodOverrides, ["DELETE"]);
});

Deno.test("interceptor: an upgraded (WebSocket) connection is cut once its credentials have ended", async () => {
  const up = await upstream();
  const { client, handled, end } = await intercepted(up.port, up.caPem);
  let rest: Uint8Array;
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await writeAll(
      client,
      encoder.encode(
        "GET /socket HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n",
      ),
    );
    await readBytes(client, RESPONSE.length);
    end(); // the grant is revoked or expires
    await writeAll(client, encoder.encode("GET /after HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"));
    // Were the connection kept open, this read would wait forever: give up after 5 s.
    timer = setTimeout(() => client.close(), 5_000);
    rest = await readBytes(client, 1 << 20).catch(() => new Uint8Array([0]));
  } finally {
    clearTimeout(timer);
    try {
      client.close();
    } catch {
      // Closed by the timer already.
    }
    await handled;
    await up.close();
  }
  assert.equal(rest.length, 0, "the connection was closed");
  assert.equal(up.heads.length, 1, "nothing after the end reached the upstream");
});
