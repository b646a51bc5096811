/**
 * A hand-written HTTPS/1.1 upstream for the `run` proxy tests: it sends exactly the bytes a
 * test asks for (pre-compressed bodies with `Content-Encoding`, chunked framing), which
 * `Deno.serve` would not (it compresses and frames on its own). Every JSON body carries the
 * `X-Api-Key` the request arrived with, so a test sees both injection and byte-exactness.
 */
import { brotliCompressSync } from "node:zlib";
import { createCertificateAuthority, issueLeafCertificate } from "../../src/run/x509.ts";

const encoder = new TextEncoder();

async function compress(format: "gzip" | "deflate", data: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([data as BlobPart]).stream().pipeThrough(new CompressionStream(format));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** The content coding a path asks for: `/gzip`, `/br`, `/deflate`, `/chunked-gzip`. */
function codingOf(route: string): "gzip" | "br" | "deflate" | null {
  if (route === "/gzip" || route === "/chunked-gzip") return "gzip";
  if (route === "/br" || route === "/deflate") return route.slice(1) as "br" | "deflate";
  return null;
}

/**
 * What the upstream answers for `path` (the JSON it encodes, and the bytes on the wire). Like a
 * real server it compresses only with a coding the client accepts (`accept`, the request's
 * Accept-Encoding); the JSON says which coding it used.
 */
export async function answerFor(path: string, key: string | null, accept: string) {
  const route = path.split("?")[0];
  const wanted = codingOf(route);
  const coding = wanted && accept.toLowerCase().includes(wanted) ? wanted : null;
  const json = JSON.stringify({ key, path, coding, filler: "authsome ".repeat(200) });
  const plain = encoder.encode(json);
  let body: Uint8Array = plain;
  const headers: string[] = ["Content-Type: application/json"];
  if (coding === "gzip" || coding === "deflate") body = await compress(coding, plain);
  if (coding === "br") body = new Uint8Array(brotliCompressSync(plain));
  if (coding) headers.push(`Content-Encoding: ${coding}`);
  let wire: Uint8Array;
  if (route.startsWith("/chunked")) {
    headers.push("Transfer-Encoding: chunked");
    const parts: Uint8Array[] = [];
    for (let i = 0; i < body.length; i += 100) {
      const piece = body.subarray(i, i + 100);
      parts.push(encoder.encode(`${piece.length.toString(16)}\r\n`), piece, encoder.encode("\r\n"));
    }
    parts.push(encoder.encode("0\r\n\r\n"));
    wire = new Uint8Array(await new Blob(parts as BlobPart[]).arrayBuffer());
  } else {
    headers.push(`Content-Length: ${body.length}`);
    wire = body;
  }
  return { json, body, headers, wire };
}

async function readRequest(conn: Deno.Conn, buffered: Uint8Array) {
  let data = buffered;
  const chunk = new Uint8Array(16 * 1024);
  while (true) {
    const text = new TextDecoder().decode(data);
    const end = text.indexOf("\r\n\r\n");
    if (end !== -1) {
      const [line, ...lines] = text.slice(0, end).split("\r\n");
      const headers = new Map(
        lines.map((
          l,
        ) => [l.slice(0, l.indexOf(":")).toLowerCase(), l.slice(l.indexOf(":") + 1).trim()]),
      );
      let rest = data.subarray(end + 4);
      const length = Number(headers.get("content-length") ?? 0);
      while (rest.length < length) {
        const n = await conn.read(chunk);
        if (n === null) return null;
        rest = new Uint8Array([...rest, ...chunk.subarray(0, n)]);
      }
      return {
        path: line.split(" ")[1],
        headers,
        body: rest.subarray(0, length),
        leftover: rest.subarray(length),
      };
    }
    const n = await conn.read(chunk);
    if (n === null) return null;
    data = new Uint8Array([...data, ...chunk.subarray(0, n)]);
  }
}

async function serveConnection(conn: Deno.Conn) {
  let leftover: Uint8Array = new Uint8Array(0);
  try {
    while (true) {
      const request = await readRequest(conn, leftover);
      if (!request) return;
      leftover = request.leftover;
      const key = request.headers.get("x-api-key") ?? null;
      const answer = request.path === "/echo-body"
        ? {
          headers: [`Content-Length: ${request.body.length}`],
          wire: request.body,
        }
        : await answerFor(request.path, key, request.headers.get("accept-encoding") ?? "");
      const head = encoder.encode(`HTTP/1.1 200 OK\r\n${answer.headers.join("\r\n")}\r\n\r\n`);
      const bytes = new Uint8Array([...head, ...answer.wire]);
      let written = 0;
      while (written < bytes.length) written += await conn.write(bytes.subarray(written));
    }
  } catch {
    // The client went away.
  } finally {
    try {
      conn.close();
    } catch {
      // Already closed.
    }
  }
}

/**
 * Starts the upstream on `host` (keep-alive, one request after another per connection), with a
 * certificate for `certHost` (default: `host`).
 */
export async function rawUpstream(host: string, certHost = host) {
  const now = new Date();
  const ca = await createCertificateAuthority({ commonName: "raw upstream CA", now, validDays: 2 });
  const leaf = await issueLeafCertificate(ca, { hostname: certHost, now, validDays: 2 });
  const listener = Deno.listenTls({
    hostname: host,
    port: 0,
    cert: leaf.certificatePem,
    key: leaf.privateKeyPkcs8Pem,
  });
  const connections = new Set<Promise<void>>();
  const accepting = (async () => {
    try {
      for await (const conn of listener) {
        const task = serveConnection(conn);
        connections.add(task);
        task.finally(() => connections.delete(task));
      }
    } catch {
      // Closed.
    }
  })();
  return {
    port: (listener.addr as Deno.NetAddr).port,
    caPem: ca.certificatePem,
    async close() {
      listener.close();
      await accepting;
      await Promise.allSettled([...connections]);
    },
  };
}

/**
 * A corporate-style HTTP proxy on 127.0.0.1 that accepts any CONNECT, records its target, and
 * connects every tunnel to `127.0.0.2:<targetPort>` (so made-up host names work).
 */
export function connectProxy(targetPort: number) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const targets: string[] = [];
  const tasks = new Set<Promise<void>>();
  const accepting = (async () => {
    try {
      for await (const conn of listener) {
        const task = (async () => {
          let head = "";
          const one = new Uint8Array(1);
          while (!head.endsWith("\r\n\r\n")) {
            if ((await conn.read(one)) === null) return conn.close();
            head += String.fromCharCode(one[0]);
          }
          targets.push(head.split(" ")[1]);
          const upstream = await Deno.connect({ hostname: "127.0.0.2", port: targetPort });
          await conn.write(encoder.encode("HTTP/1.1 200 Connection Established\r\n\r\n"));
          await Promise.allSettled([
            conn.readable.pipeTo(upstream.writable),
            upstream.readable.pipeTo(conn.writable),
          ]);
        })().catch(() => {});
        tasks.add(task);
        task.finally(() => tasks.delete(task));
      }
    } catch {
      // Closed.
    }
  })();
  return {
    port: (listener.addr as Deno.NetAddr).port,
    targets,
    async close() {
      listener.close();
      await accepting;
      await Promise.allSettled([...tasks]);
    },
  };
}
