/**
 * Networking on Deno: HTTP(S) servers, raw TCP, and the loopback client.
 * Part of the only layer (with `cli.ts`) that touches `Deno.*`.
 *
 * @module
 */
import { concat } from "./bytes.ts";
import {
  fitToDescriptors,
  type GateConnection,
  type GateLimits,
  startGate,
} from "./connection_gate.ts";
import type { LocalServer, ServeOptions, TcpConnection, TcpListener } from "./types.ts";

/** Serves HTTP on `options.hostname:port`; resolves once listening. */
export function serve(
  options: ServeOptions,
  handler: (request: Request) => Response | Promise<Response>,
): Promise<LocalServer> {
  // Windows gets the plain server: its Unix sockets are too recent to rely on.
  if (options.limits && Deno.build.os !== "windows") {
    return gatedServe(options, options.limits, handler);
  }
  return listen(options, handler);
}

function gateConnection(conn: Deno.Conn): GateConnection {
  return {
    readable: conn.readable,
    writable: conn.writable,
    close() {
      try {
        conn.close();
      } catch {
        // Already closed.
      }
    },
  };
}

/**
 * Open-file descriptors this process may still open (soft limit minus those open), on Linux;
 * null where it cannot be read.
 */
function spareDescriptors(): number | null {
  try {
    const limits = Deno.readTextFileSync("/proc/self/limits");
    const soft = /^Max open files\s+(\d+|unlimited)/m.exec(limits)?.[1];
    if (!soft || soft === "unlimited") return null;
    let open = 0;
    for (const _ of Deno.readDirSync("/proc/self/fd")) open++;
    return Number(soft) - open;
  } catch {
    return null;
  }
}

/**
 * HTTP behind the connection gate: the public TCP port is ours, and each accepted connection
 * is relayed to `Deno.serve` on a Unix socket in a private (0700) directory, which no other
 * user can reach around the gate.
 */
async function gatedServe(
  options: ServeOptions,
  limits: GateLimits,
  handler: (request: Request) => Response | Promise<Response>,
): Promise<LocalServer> {
  // Unix socket paths are limited to ~104 bytes; a longer one goes to a temp directory.
  const own = options.relaySocket && options.relaySocket.length <= 100 ? options.relaySocket : null;
  const dir = own ? null : await Deno.makeTempDir({ prefix: "authsome-serve-" });
  if (dir) await Deno.chmod(dir, 0o700);
  const path = own ?? `${dir}/http.sock`;
  // A daemon that died left its socket; the caller holds the lock that makes it ours.
  await Deno.remove(path).catch(() => {});
  const cleanUp = async () => {
    await Deno.remove(dir ?? path, { recursive: true }).catch(() => {});
  };
  const { promise: listening, resolve } = Promise.withResolvers<void>();
  const inner = Deno.serve({ path, transport: "unix", onListen: () => resolve() }, handler);
  await listening;
  let listener: Deno.TcpListener;
  try {
    listener = Deno.listen({ hostname: options.hostname, port: options.port, transport: "tcp" });
  } catch (error) {
    await inner.shutdown();
    await cleanUp();
    throw error;
  }
  const gate = startGate(
    {
      accept: async () => gateConnection(await listener.accept()),
      close: () => {
        try {
          listener.close();
        } catch {
          // Already closed.
        }
      },
    },
    async () => gateConnection(await Deno.connect({ transport: "unix", path })),
    fitToDescriptors(limits, spareDescriptors()),
  );
  return {
    port: (listener.addr as Deno.NetAddr).port,
    async close() {
      await gate.stopAccepting();
      // In-flight requests are answered (their relays stay open), then the rest is cut.
      await inner.shutdown();
      await gate.close();
      await cleanUp();
    },
  };
}

/** Serves HTTPS with the given PEM certificate and key; resolves once listening. */
export function serveTls(
  options: ServeOptions & { cert: string; key: string },
  handler: (request: Request, client: { port: number }) => Response | Promise<Response>,
): Promise<LocalServer> {
  return listen(options, handler);
}

async function listen(
  options: ServeOptions & { cert?: string; key?: string },
  handler: (request: Request, client: { port: number }) => Response | Promise<Response>,
): Promise<LocalServer> {
  const { promise: listening, resolve } = Promise.withResolvers<number>();
  const tls = options.cert && options.key ? { cert: options.cert, key: options.key } : {};
  const server = Deno.serve({
    hostname: options.hostname,
    port: options.port,
    signal: options.signal,
    onListen: ({ port }) => resolve(port),
    ...tls,
  }, (request, info) => handler(request, { port: (info.remoteAddr as Deno.NetAddr).port }));
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

function wrapConnection(conn: Deno.Conn): TcpConnection {
  return {
    localPort: (conn.localAddr as Deno.NetAddr).port,
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
