/**
 * TLS termination for routed hosts, in process: the proxy hands over the child's CONNECT
 * tunnel, this speaks TLS to the child over it with a leaf certificate for the host (signed by
 * the local authsome CA) and relays HTTP/1.1 to the real host over verified TLS. There is no
 * listening socket, so no other local process can reach the terminator.
 *
 * Only request heads are rewritten (the auth header of the connection the routing table picks
 * is set, proxy headers dropped); request bodies and whole responses are passed through byte
 * for byte, so compressed (`gzip`, `br`, `deflate`, ...) and chunked responses reach the
 * client exactly as the server sent them.
 *
 * @module
 */
import type { LogSink } from "../auth/context.ts";
import type { ByteStream, Platform, TcpConnection } from "../platform/types.ts";
import type { AuthHeader } from "../auth/headers.ts";
import {
  BadRequest,
  bodyFraming,
  ByteReader,
  closingResponse,
  copyBody,
  headerValues,
  MAX_HEAD,
  parseRequestHead,
  type RequestHead,
  serializeHead,
} from "./http1.ts";
import { normalizeHost, route, type RouteTable } from "./routing.ts";
import { describeUpstreamFailure } from "./upstream_failure.ts";
import type { UpstreamProxyPicker } from "./upstream_proxy.ts";
import type { LeafCache } from "./x509.ts";

/** Request headers meant for the proxy, never forwarded. */
const PROXY_HEADERS = ["proxy-authorization", "proxy-connection"];

/** The request a credential is looked up for (lets a lookup enforce limits per request). */
export interface CredentialRequest {
  method: string;
  host: string;
  port: number;
  path: string;
  /** Values of the request's method-override headers (`X-HTTP-Method-Override`, ...). */
  methodOverrides: string[];
}

/** Headers with which a client asks the server to treat a request as another method. */
const METHOD_OVERRIDE_HEADERS = ["x-http-method-override", "x-http-method", "x-method-override"];

/**
 * Where the interceptor gets auth headers (`CredentialHeaders`, or a grant's checked lookup).
 * An error carrying a numeric `refusalStatus` (a refusal, such as a grant's limits) is answered
 * with that status and its message, and the request is not forwarded.
 */
export interface CredentialLookup {
  header(provider: string, connection: string, request?: CredentialRequest): Promise<AuthHeader>;
  /**
   * Whether credentials may still be used at all (a grant that has not ended). A connection
   * that stopped being HTTP (WebSocket) is cut once this turns false. Absent: always.
   */
  live?(): boolean;
}

interface Refusal {
  status: number;
  message: string;
}

const REASONS: Record<number, string> = {
  400: "Bad Request",
  403: "Forbidden",
  421: "Misdirected Request",
};

/** `host[:port]` of a Host header or URL authority, normalised; null when it is not one. */
function authorityOf(text: string): { host: string; port: number | null } | null {
  const match = /^(\[[0-9A-Fa-f:.]+\]|[^\s\[\]@/?#:]+)(?::(\d{1,5}))?$/.exec(text);
  return match ? { host: normalizeHost(match[1]), port: match[2] ? Number(match[2]) : null } : null;
}

/**
 * Why a request on the tunnel to `host:port` names another destination, if it does. The
 * credential is chosen by the tunnel's host, but a shared front end (a CDN, a cloud's API
 * gateway) routes by the `Host` header or an absolute-form target: a request that names
 * another virtual host would carry the credential to whoever serves that one (domain fronting).
 * So the Host header must be there once and name the tunnel's host (and port, when it has
 * one), and an absolute-form target must name the same `https` authority.
 */
function misdirected(head: RequestHead, host: string, port: number): Refusal | null {
  const refuse = (status: number, why: string): Refusal => ({
    status,
    message: `${why}; this connection is to ${host}:${port}`,
  });
  const hosts = headerValues(head, "host");
  if (hosts.length > 1) return refuse(400, "more than one Host header");
  const names: string[] = [...hosts];
  if (head.target.startsWith("/") || (head.target === "*" && head.method === "OPTIONS")) {
    // Origin form: the Host header names the destination.
  } else if (/^https?:\/\//i.test(head.target) && URL.canParse(head.target)) {
    const url = new URL(head.target);
    if (url.protocol !== "https:" || url.username || url.password) {
      return refuse(400, `request target ${head.target.slice(0, 100)} is not an https URL`);
    }
    names.push(url.port ? `${url.hostname}:${url.port}` : url.hostname);
  } else {
    return refuse(400, `malformed request target ${head.target.slice(0, 100)}`);
  }
  if (hosts.length === 0 && head.version !== "HTTP/1.0") return refuse(400, "no Host header");
  for (const name of names) {
    const authority = authorityOf(name);
    if (!authority || authority.host !== host || (authority.port ?? port) !== port) {
      return refuse(421, `the request names ${name.slice(0, 100)}`);
    }
  }
  return null;
}

/** Relays intercepted tunnels. */
export class Interceptor {
  readonly #platform: Platform;
  readonly #leaves: LeafCache;
  readonly #table: RouteTable;
  readonly #credentials: CredentialLookup;
  readonly #log: LogSink;
  readonly #caCerts: string[];
  readonly #upstreamProxy: UpstreamProxyPicker;
  readonly #warned = new Set<string>();

  constructor(
    platform: Platform,
    parts: {
      leaves: LeafCache;
      table: RouteTable;
      credentials: CredentialLookup;
      log: LogSink;
      /** Extra CA certificates (PEM) trusted for upstream connections. */
      caCerts?: string[];
      /** The parent's proxy to reach a host through, if any. */
      upstreamProxy?: UpstreamProxyPicker;
    },
  ) {
    this.#platform = platform;
    this.#leaves = parts.leaves;
    this.#table = parts.table;
    this.#credentials = parts.credentials;
    this.#log = parts.log;
    this.#caCerts = parts.caCerts ?? [];
    this.#upstreamProxy = parts.upstreamProxy ?? (() => null);
  }

  /** Terminates TLS on the child's tunnel to `host:port` and relays until either side closes. */
  async handle(tunnel: ByteStream, host: string, port: number): Promise<void> {
    const leaf = await this.#leaves.get(host);
    let client: ByteStream;
    try {
      client = await this.#platform.acceptTls(tunnel, {
        cert: leaf.certificatePem,
        key: leaf.privateKeyPkcs8Pem,
      });
    } catch (error) {
      this.#log.debug("proxy: TLS handshake with the client failed", {
        host,
        error: (error as Error).message,
      });
      return;
    }
    const reader = new ByteReader(client.readable.getReader());
    const toClient = client.writable.getWriter();
    let upstream: TcpConnection | null = null;
    let responses: Promise<void> = Promise.resolve();
    try {
      while (true) {
        let head: RequestHead;
        let framing;
        try {
          const bytes = await reader.until("\r\n\r\n", MAX_HEAD);
          if (bytes === null) break;
          head = parseRequestHead(bytes);
          framing = bodyFraming(head);
        } catch (error) {
          if (!(error instanceof BadRequest)) throw error;
          this.#log.debug("proxy: bad request", { host, error: error.message });
          if (!upstream) {
            await toClient.write(
              closingResponse(400, "Bad Request", `authsome proxy: ${error.message}\n`),
            );
          }
          break;
        }
        // Before anything goes upstream: a refused request must not reach the host at all.
        const refusal = misdirected(head, host, port) ?? await this.#rewrite(head, host, port);
        if (refusal) {
          this.#log.debug("proxy: request refused", { host, status: refusal.status });
          if (!upstream) {
            await toClient.write(
              closingResponse(
                refusal.status,
                REASONS[refusal.status] ?? "Refused",
                `authsome proxy: ${refusal.message}\n`,
              ),
            );
          }
          // With responses still coming on a kept-alive connection, it is cut instead.
          break;
        }
        if (!upstream) {
          try {
            upstream = await this.#platform.connectTls(host, port, {
              caCerts: this.#caCerts,
              via: this.#upstreamProxy(host, port),
            });
          } catch (error) {
            const reason = describeUpstreamFailure(error, host, port);
            this.#log.debug("proxy upstream failed", { host, port, reason });
            await toClient.write(
              closingResponse(502, "Bad Gateway", `authsome proxy: ${reason}\n`),
            );
            break;
          }
          responses = relayResponses(upstream, toClient);
        }
        const toUpstream = upstream.writable.getWriter();
        try {
          await toUpstream.write(serializeHead(head));
          await copyBody(reader, framing, (bytes) => toUpstream.write(bytes));
          if (headerValues(head, "upgrade").length > 0) {
            // After a protocol switch (WebSocket) the connection is no longer HTTP: pass it on.
            for await (const chunk of reader.rest()) {
              if (this.#credentials.live?.() === false) break;
              await toUpstream.write(chunk);
            }
            break;
          }
        } finally {
          toUpstream.releaseLock();
        }
      }
    } catch (error) {
      this.#log.debug("proxy: intercepted connection ended", {
        host,
        error: (error as Error).message,
      });
    } finally {
      upstream?.close();
      await responses;
      await toClient.close().catch(() => {});
      client.close();
    }
  }

  /**
   * Drops proxy headers and sets the routed connection's auth header, if any; returns the
   * refusal when the credential lookup refuses this request (a grant's limits).
   */
  async #rewrite(head: RequestHead, host: string, port: number): Promise<Refusal | null> {
    head.headers = head.headers.filter(([name]) => !PROXY_HEADERS.includes(name.toLowerCase()));
    const decision = route(this.#table, { host, port, path: head.target });
    if (decision.kind === "inject") {
      try {
        const header = await this.#credentials.header(decision.provider, decision.connection, {
          method: head.method,
          host,
          port,
          path: head.target.split("?")[0],
          methodOverrides: METHOD_OVERRIDE_HEADERS.flatMap((name) => headerValues(head, name)),
        });
        const name = header.name.toLowerCase();
        head.headers = head.headers.filter(([n]) => n.toLowerCase() !== name);
        head.headers.push([header.name, header.value.reveal()]);
      } catch (error) {
        const status = (error as { refusalStatus?: unknown }).refusalStatus;
        if (typeof status === "number") return { status, message: (error as Error).message };
        this.#warnOnce(
          `cred:${decision.provider}`,
          `no credential for ${decision.provider}: ${
            (error as Error).message
          }; forwarding unchanged`,
        );
      }
    } else if (decision.kind === "ambiguous") {
      this.#warnOnce(
        `amb:${host}${head.target}`,
        `ambiguous proxy match for https://${host}:${port}${head.target.split("?")[0]}: ` +
          `${decision.candidates.join(", ")}; forwarding unchanged`,
      );
    }
    return null;
  }

  #warnOnce(key: string, message: string): void {
    if (this.#warned.has(key)) return;
    this.#warned.add(key);
    this.#log.warn(message);
  }
}

/** Copies the upstream's bytes to the client until the upstream closes, then ends the client. */
async function relayResponses(
  upstream: TcpConnection,
  toClient: WritableStreamDefaultWriter<Uint8Array>,
): Promise<void> {
  const reader = upstream.readable.getReader();
  try {
    while (true) {
      const { value, done } = await reader.read();
      if (done) break;
      await toClient.write(value);
    }
  } catch {
    // One side went away.
  } finally {
    reader.releaseLock();
    await toClient.close().catch(() => {});
  }
}
