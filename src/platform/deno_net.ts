/**
 * Networking on Deno: HTTP(S) servers, raw TCP, and the loopback client.
 * Part of the only layer (with `cli.ts`) that touches `Deno.*`.
 *
 * @module
 */
import { concat } from "./bytes.ts";
import type { ByteStream, LocalServer, ServeOptions, TcpConnection, TcpListener } from "./types.ts";

/** Serves HTTP on `options.hostname:port`; resolves once listening. */
export function serve(
  options: ServeOptions,
  handler: (request: Request) => Response | Promise<Response>,
): Promise<LocalServer> {
  // Windows gets the plain server: its Unix sockets are too recent to rely on.
  if (options.limits && Deno.build.os !== "windows") {
    // Only the daemon uses the gate: loaded then, not on every command's start-up.
    const limits = options.limits;
    return import("./deno_gated_serve.ts").then((m) => m.gatedServe(options, limits, handler));
  }
  return listen(options, handler);
}

async function listen(
  options: ServeOptions,
  handler: (request: Request) => Response | Promise<Response>,
): Promise<LocalServer> {
  const { promise: listening, resolve } = Promise.withResolvers<number>();
  const server = Deno.serve({
    hostname: options.hostname,
    port: options.port,
    signal: options.signal,
    onListen: ({ port }) => resolve(port),
  }, handler);
  const port = await listening;
  return {
    port,
    async close() {
      await server.shutdown();
    },
  };
}

const MAX_LOOPBACK_RESPONSE = 1 << 20;

/**
 * Raw HTTP/1.1 over a TCP socket to 127.0.0.1, rather than `fetch`: Deno's fetch honours
 * HTTP(S)_PROXY even for loopback addresses (the daemon's bearer token would go to the proxy),
 * and in a fresh process the first fetch costs ~8 ms of set-up against ~1 ms for a socket.
 */
export async function loopbackRequest(
  port: number,
  request: Uint8Array,
  timeoutMs: number,
): Promise<Uint8Array> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  let timedOut = false;
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    conn.close();
  };
  // Closing the socket makes a pending read or write fail, which ends the exchange.
  const timer = setTimeout(() => {
    timedOut = true;
    close();
  }, timeoutMs);
  try {
    let written = 0;
    while (written < request.length) written += await conn.write(request.subarray(written));
    const chunks: Uint8Array[] = [];
    let size = 0;
    const buffer = new Uint8Array(16 * 1024);
    while (true) {
      const n = await conn.read(buffer);
      if (n === null) break;
      size += n;
      if (size > MAX_LOOPBACK_RESPONSE) throw new Error("response too large");
      chunks.push(buffer.slice(0, n));
    }
    return concat(chunks);
  } catch (error) {
    if (timedOut) throw new Error(`no answer within ${timeoutMs} ms`);
    throw error;
  } finally {
    clearTimeout(timer);
    close();
  }
}

/** A connection's byte streams, with a `close` that tolerates an already closed connection. */
export function connectionStreams(conn: Deno.Conn): ByteStream {
  return {
    readable: conn.readable,
    writable: conn.writable,
    close() {
      try {
        conn.close();
      } catch {
        // Already closed by the peer or by a finished pipe.
      }
    },
  };
}

/** A TCP (or TLS) connection as a `TcpConnection`. */
export function wrapConnection(conn: Deno.Conn): TcpConnection {
  return { ...connectionStreams(conn), localPort: (conn.localAddr as Deno.NetAddr).port };
}

/** Listens for TCP connections on `hostname:port` (0 picks a free port). */
export function listenTcp(hostname: string, port: number): TcpListener {
  const listener = Deno.listen({ hostname, port, transport: "tcp" });
  return {
    port: (listener.addr as Deno.NetAddr).port,
    async *accept() {
      try {
        for await (const conn of listener) yield wrapConnection(conn);
      } catch (error) {
        if (!(error instanceof Deno.errors.BadResource)) throw error;
      }
    },
    close() {
      try {
        listener.close();
      } catch {
        // Already closed.
      }
    },
  };
}

/** Opens a TCP connection to `hostname:port`. */
export async function connectTcp(hostname: string, port: number): Promise<TcpConnection> {
  return wrapConnection(await Deno.connect({ hostname, port }));
}
