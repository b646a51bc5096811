import assert from "node:assert/strict";
import { denoPlatform } from "../../src/platform/deno.ts";
import type { ByteStream } from "../../src/platform/types.ts";
import type { Interceptor } from "../../src/run/interceptor.ts";
import { parseAuthority, type RunningProxy, startProxy } from "../../src/run/proxy.ts";
import { buildRoutes, type RouteTable } from "../../src/run/routing.ts";
import { recordingLog } from "../auth/_context.ts";

Deno.test.sanitizer?.({ ops: true, resources: true });

const CREDENTIALS = "authsome:s3cret-proxy-pass";
const AUTH = `Proxy-Authorization: Basic ${btoa(CREDENTIALS)}\r\n`;
const encoder = new TextEncoder();

Deno.test("parseAuthority reads host:port, bracketed IPv6 and the default port", () => {
  assert.deepEqual(parseAuthority("api.example.com:8443", 443), ["api.example.com", 8443]);
  assert.deepEqual(parseAuthority("API.Example.COM.:443", 443), ["api.example.com", 443]);
  assert.deepEqual(parseAuthority("api.example.com", 443), ["api.example.com", 443]);
  assert.deepEqual(parseAuthority("example.com", 80), ["example.com", 80]);
  assert.deepEqual(parseAuthority("[::1]:443", 80), ["::1", 443]);
  assert.deepEqual(parseAuthority("[::1]", 443), ["::1", 443]);
  assert.deepEqual(parseAuthority("127.0.0.1:1", 443), ["127.0.0.1", 1]);
  assert.deepEqual(parseAuthority("h:65535", 443), ["h", 65535]);
});

Deno.test("parseAuthority refuses bad ports and malformed targets", () => {
  for (
    const target of [
      "h:0",
      "h:65536",
      "h:99999",
      "h:",
      "h:-1",
      "h:4x",
      "::1",
      "::1:443",
      "",
      "[::1]x",
      `${"a.".repeat(30_000)}example.com:443`,
    ]
  ) {
    assert.equal(parseAuthority(target, 443), null, target);
  }
});

/** Reads from a connection until `until` matches the text so far, or EOF. */
async function readUntil(conn: Deno.Conn, until: RegExp, text = ""): Promise<string> {
  const streaming = new TextDecoder();
  const buffer = new Uint8Array(4096);
  while (!until.test(text)) {
    const n = await conn.read(buffer);
    if (n === null) break;
    text += streaming.decode(buffer.subarray(0, n), { stream: true });
  }
  return text;
}

async function readAll(conn: Deno.Conn): Promise<string> {
  return await readUntil(conn, /(?!)/);
}

/** A TCP echo server on loopback. */
function echoServer() {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const tasks: Promise<void>[] = [];
  const accepting = (async () => {
    try {
      for await (const conn of listener) {
        tasks.push(conn.readable.pipeTo(conn.writable).catch(() => {}));
      }
    } catch {
      // Listener closed.
    }
  })();
  return {
    port: (listener.addr as Deno.NetAddr).port,
    async close() {
      listener.close();
      await accepting;
      await Promise.allSettled(tasks);
    },
  };
}

interface InterceptorCalls {
  /** `host:port` of every tunnel handed to the interceptor. */
  handled: string[];
}

/** An interceptor that echoes the tunnel's bytes back (as a TLS server would answer). */
function stubInterceptor(): { interceptor: Interceptor; calls: InterceptorCalls } {
  const calls: InterceptorCalls = { handled: [] };
  const stub = {
    async handle(tunnel: ByteStream, host: string, port: number) {
      calls.handled.push(`${host}:${port}`);
      await tunnel.readable.pipeTo(tunnel.writable).catch(() => {});
      tunnel.close();
    },
  };
  return { interceptor: stub as unknown as Interceptor, calls };
}

function proxyOver(table: RouteTable, interceptor: Interceptor): RunningProxy {
  return startProxy(denoPlatform(), {
    table,
    interceptor,
    log: recordingLog(),
    credentials: CREDENTIALS,
  });
}

async function exchange(port: number, request: string): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await conn.write(encoder.encode(request));
    return await readAll(conn);
  } finally {
    conn.close();
  }
}

Deno.test("the proxy answers 407 without the right Proxy-Authorization", async () => {
  const { interceptor, calls } = stubInterceptor();
  const proxy = proxyOver(buildRoutes([]), interceptor);
  try {
    const none = await exchange(
      proxy.port,
      "CONNECT 127.0.0.1:9 HTTP/1.1\r\nHost: 127.0.0.1:9\r\n\r\n",
    );
    assert.match(none, /^HTTP\/1\.1 407 Proxy Authentication Required\r\n/);
    assert.match(none, /Proxy-Authenticate: Basic realm="authsome"/);
    const wrong = await exchange(
      proxy.port,
      `CONNECT 127.0.0.1:9 HTTP/1.1\r\nProxy-Authorization: Basic ${
        btoa("authsome:guess")
      }\r\n\r\n`,
    );
    assert.match(wrong, /^HTTP\/1\.1 407 /);
    const plain = await exchange(
      proxy.port,
      "GET http://127.0.0.1:9/ HTTP/1.1\r\nHost: 127.0.0.1:9\r\n\r\n",
    );
    assert.match(plain, /^HTTP\/1\.1 407 /);
    assert.deepEqual(calls.handled, []);
  } finally {
    await proxy.close();
  }
});

Deno.test("an authorised CONNECT to a host no route covers is tunnelled both ways", async () => {
  const echo = echoServer();
  const { interceptor, calls } = stubInterceptor();
  const table = buildRoutes([
    { provider: "acme", connection: "default", hostUrl: "api.acme.test", excludedUrls: [] },
  ]);
  const proxy = proxyOver(table, interceptor);
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: proxy.port });
  try {
    // The first bytes of the tunnel travel in the same packet as the request head.
    await conn.write(encoder.encode(
      `CONNECT 127.0.0.1:${echo.port} HTTP/1.1\r\nHost: 127.0.0.1:${echo.port}\r\n${AUTH}\r\nearly|`,
    ));
    const head = await readUntil(conn, /\r\n\r\n/);
    assert.match(head, /^HTTP\/1\.1 200 Connection Established\r\n\r\n/);
    await conn.write(encoder.encode("ping\u00e9"));
    const echoed = await readUntil(conn, /ping\u00e9$/, head.slice(head.indexOf("\r\n\r\n") + 4));
    assert.equal(echoed, "early|ping\u00e9");
    await conn.closeWrite();
    assert.equal(await readAll(conn), "");
    assert.deepEqual(calls.handled, [], "not routed: no interception");
  } finally {
    conn.close();
    await proxy.close();
    await echo.close();
  }
});

Deno.test("a CONNECT to a routed host is handed to the interceptor in process", async () => {
  const { interceptor, calls } = stubInterceptor();
  const table = buildRoutes([
    { provider: "acme", connection: "default", hostUrl: "api.acme.test", excludedUrls: [] },
  ]);
  const proxy = proxyOver(table, interceptor);
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: proxy.port });
  try {
    // The client's first TLS bytes may arrive with the CONNECT head: they are not lost.
    await conn.write(encoder.encode(`CONNECT API.acme.test:443 HTTP/1.1\r\n${AUTH}\r\nearly|`));
    const head = await readUntil(conn, /\r\n\r\n/);
    assert.match(head, /^HTTP\/1\.1 200 Connection Established/);
    await conn.write(encoder.encode("tls-bytes"));
    const rest = head.slice(head.indexOf("\r\n\r\n") + 4);
    assert.equal(await readUntil(conn, /tls-bytes/, rest), "early|tls-bytes");
    await conn.closeWrite();
    await readAll(conn);
  } finally {
    conn.close();
    await proxy.close();
  }
  assert.deepEqual(calls.handled, ["api.acme.test:443"]);
});

Deno.test("bad CONNECT targets get 400 and unreachable upstreams 502", async () => {
  const { interceptor } = stubInterceptor();
  const proxy = proxyOver(buildRoutes([]), interceptor);
  const closed = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const deadPort = (closed.addr as Deno.NetAddr).port;
  closed.close();
  try {
    assert.match(
      await exchange(proxy.port, `CONNECT host:70000 HTTP/1.1\r\n${AUTH}\r\n`),
      /^HTTP\/1\.1 400 Bad Request/,
    );
    assert.match(
      await exchange(proxy.port, `GET https://127.0.0.1/ HTTP/1.1\r\n${AUTH}\r\n`),
      /^HTTP\/1\.1 400 Bad Request/,
    );
    const refused = await exchange(
      proxy.port,
      `CONNECT 127.0.0.1:${deadPort} HTTP/1.1\r\n${AUTH}\r\n`,
    );
    assert.match(refused, /^HTTP\/1\.1 502 Bad Gateway\r\n/);
    assert.ok(refused.endsWith(`authsome proxy: connection refused by 127.0.0.1:${deadPort}\n`));
  } finally {
    await proxy.close();
  }
});

Deno.test("a plain-HTTP request is forwarded without Proxy-Authorization", async () => {
  const upstream = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (request) => {
    const url = new URL(request.url);
    return Response.json({
      path: url.pathname + url.search,
      method: request.method,
      headers: Object.fromEntries(request.headers),
    });
  });
  const { interceptor } = stubInterceptor();
  const proxy = proxyOver(buildRoutes([]), interceptor);
  try {
    const port = upstream.addr.port;
    const response = await exchange(
      proxy.port,
      `GET http://127.0.0.1:${port}/v1/items?q=1 HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n` +
        `${AUTH}Proxy-Connection: keep-alive\r\nX-Test: yes\r\n\r\n`,
    );
    assert.match(response, /^HTTP\/1\.1 200 OK\r\n/);
    const body = JSON.parse(response.slice(response.indexOf("\r\n\r\n") + 4));
    assert.equal(body.path, "/v1/items?q=1");
    assert.equal(body.method, "GET");
    assert.equal(body.headers["x-test"], "yes");
    assert.equal(body.headers["host"], `127.0.0.1:${port}`);
    assert.equal(body.headers["proxy-authorization"], undefined);
    assert.equal(body.headers["proxy-connection"], undefined);
    assert.ok(!response.includes(btoa(CREDENTIALS)));
  } finally {
    await proxy.close();
    await upstream.shutdown();
  }
});
