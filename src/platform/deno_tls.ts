/**
 * TLS for the `run` proxy: the client side (to the real API, verified) and the server side
 * spoken over a stream the proxy already holds, so the TLS terminator has no listening socket
 * that another local user could connect to. Deno has no server-side TLS over an existing
 * stream, so that half uses `node:tls`, imported only when a TLS session starts: the first
 * `node:` module makes Deno set up its Node layer (tens of milliseconds), and the installed
 * single-file bundle would otherwise hoist a static `node:` import into every start-up.
 *
 * @module
 */
import { wrapConnection } from "./deno_net.ts";
import type { ByteStream, TcpConnection, UpstreamProxy } from "./types.ts";

/**
 * Opens a TLS connection (HTTP/1.1 only) to `hostname:port` and completes the handshake, so a
 * certificate problem is reported here rather than on the first read. `caCerts` are trusted in
 * addition to the default roots. With `via`, the connection goes through that HTTP proxy.
 */
export async function connectTls(
  hostname: string,
  port: number,
  options: { caCerts: string[]; via?: UpstreamProxy | null },
): Promise<TcpConnection> {
  const tlsOptions = { hostname, caCerts: options.caCerts, alpnProtocols: ["http/1.1"] };
  let conn: Deno.TlsConn;
  if (options.via) {
    const raw = await rawThrough(options.via, hostname, port);
    try {
      conn = await Deno.startTls(raw, tlsOptions);
    } catch (error) {
      raw.close();
      throw error;
    }
  } else {
    conn = await Deno.connectTls({ ...tlsOptions, port });
  }
  try {
    await conn.handshake();
  } catch (error) {
    conn.close();
    throw error;
  }
  return wrapConnection(conn);
}

/** A TCP connection to `hostname:port` through an HTTP proxy (CONNECT). */
export async function connectTcpThrough(
  via: UpstreamProxy,
  hostname: string,
  port: number,
): Promise<TcpConnection> {
  return wrapConnection(await rawThrough(via, hostname, port));
}

async function rawThrough(
  via: UpstreamProxy,
  hostname: string,
  port: number,
): Promise<Deno.TcpConn> {
  const proxy = `${via.hostname}:${via.port}`;
  let raw: Deno.TcpConn;
  try {
    raw = await Deno.connect({ hostname: via.hostname, port: via.port });
  } catch (error) {
    throw new Error(`could not reach the upstream proxy ${proxy} (${(error as Error).message})`);
  }
  try {
    const authority = hostname.includes(":") ? `[${hostname}]:${port}` : `${hostname}:${port}`;
    const head = `CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n` +
      (via.authorization ? `Proxy-Authorization: ${via.authorization}\r\n` : "") + "\r\n";
    const bytes = new TextEncoder().encode(head);
    let written = 0;
    while (written < bytes.length) written += await raw.write(bytes.subarray(written));
    // Byte by byte: nothing after the blank line may be consumed (the tunnel starts there).
    let answer = "";
    const one = new Uint8Array(1);
    while (!answer.endsWith("\r\n\r\n")) {
      if (answer.length > 16 * 1024 || (await raw.read(one)) === null) {
        throw new Error(`the upstream proxy ${proxy} closed the connection`);
      }
      answer += String.fromCharCode(one[0]);
    }
    const status = answer.split("\r\n")[0];
    if (!/^HTTP\/1\.[01] 2\d\d/.test(status)) {
      throw new Error(`the upstream proxy ${proxy} refused CONNECT ${authority}: ${status}`);
    }
    return raw;
  } catch (error) {
    raw.close();
    throw error;
  }
}

/**
 * Speaks TLS as the server over `stream` (HTTP/1.1 only), with the given PEM certificate chain
 * and key. Resolves the decrypted stream once the handshake is done; rejects if it fails.
 */
export async function acceptTls(
  stream: ByteStream,
  options: { cert: string; key: string },
): Promise<ByteStream> {
  const [{ Duplex }, { default: tls }] = await Promise.all([
    import("node:stream"),
    import("node:tls"),
  ]);
  // Web and node:stream/web stream types differ only on paper (Deno implements both alike).
  const pair = { readable: stream.readable, writable: stream.writable } as unknown as Parameters<
    typeof Duplex.fromWeb
  >[0];
  const duplex = Duplex.fromWeb(pair);
  const socket = new tls.TLSSocket(duplex, {
    isServer: true,
    secureContext: tls.createSecureContext({ cert: options.cert, key: options.key }),
    ALPNProtocols: ["http/1.1"],
  });
  // The socket below is gone once the TLS session is: close the stream it ran on.
  socket.once("close", () => {
    try {
      stream.close();
    } catch {
      // Already closed (by the peer or a finished pipe).
    }
  });
  return await new Promise((resolve, reject) => {
    const fail = (error?: Error) => {
      socket.destroy();
      reject(error ?? new Error("the client closed the connection during the TLS handshake"));
    };
    socket.once("error", fail);
    socket.once("close", () => fail());
    socket.once("secure", () => {
      socket.off("error", fail);
      socket.on("error", () => socket.destroy());
      const web = Duplex.toWeb(socket);
      resolve({
        readable: web.readable as ReadableStream<Uint8Array>,
        writable: web.writable as WritableStream<Uint8Array>,
        close() {
          // Flush what was written (and the TLS close_notify) before letting go.
          if (socket.writable) socket.end(() => socket.destroy());
          else socket.destroy();
        },
      });
    });
  });
}
