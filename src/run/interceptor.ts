/**
 * TLS termination for routed hosts. Each intercepted host gets an HTTPS server on 127.0.0.1
 * with a leaf certificate for that host (signed by the local authsome CA); the proxy pipes the
 * client's CONNECT tunnel into it. Its handler sets the auth header of the connection the
 * routing table picks and forwards the request upstream over verified TLS.
 *
 * @module
 */
import type { LogSink } from "../auth/context.ts";
import type { LocalServer, Platform } from "../platform/types.ts";
import type { AuthHeader } from "../auth/headers.ts";
import { route, type RouteTable } from "./routing.ts";
import type { LeafCache } from "./x509.ts";

/** Request and response headers that belong to one hop, not to the end-to-end message. */
const HOP_BY_HOP = [
  "connection",
  "keep-alive",
  "proxy-authenticate",
  "proxy-authorization",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
];

/** The request a credential is looked up for (lets a lookup enforce limits per request). */
export interface CredentialRequest {
  method: string;
  host: string;
  port: number;
  path: string;
}

/**
 * Where the interceptor gets auth headers (`CredentialHeaders`, or a grant's checked lookup).
 * An error carrying a numeric `refusalStatus` (a refusal, such as a grant's limits) is answered
 * with that status and its message instead of forwarding the request.
 */
export interface CredentialLookup {
  header(provider: string, connection: string, request?: CredentialRequest): Promise<AuthHeader>;
}

/** Where the child's tunnel for host:port should be piped. */
export class Interceptor {
  readonly #platform: Platform;
  readonly #leaves: LeafCache;
  readonly #table: RouteTable;
  readonly #credentials: CredentialLookup;
  readonly #log: LogSink;
  readonly #servers = new Map<string, Promise<LocalServer>>();
  /** Local ports of the proxy's own connections to the TLS servers: the only clients served. */
  readonly #allowed = new Set<number>();
  readonly #warned = new Set<string>();

  constructor(
    platform: Platform,
    parts: { leaves: LeafCache; table: RouteTable; credentials: CredentialLookup; log: LogSink },
  ) {
    this.#platform = platform;
    this.#leaves = parts.leaves;
    this.#table = parts.table;
    this.#credentials = parts.credentials;
    this.#log = parts.log;
  }

  /** The local port of the TLS server for `host:port` (started on first use). */
  async portFor(host: string, port: number): Promise<number> {
    const key = `${host}:${port}`;
    let server = this.#servers.get(key);
    if (!server) {
      server = this.#start(host, port);
      this.#servers.set(key, server);
      server.catch(() => this.#servers.delete(key));
    }
    return (await server).port;
  }

  async #start(host: string, port: number): Promise<LocalServer> {
    const leaf = await this.#leaves.get(host);
    return await this.#platform.serveTls(
      { hostname: "127.0.0.1", port: 0, cert: leaf.certificatePem, key: leaf.privateKeyPkcs8Pem },
      (request, client) =>
        this.#allowed.has(client.port)
          ? this.#forward(request, host, port)
          // Anything else on this machine that finds the port must not get credentials.
          : new Response("authsome proxy: forbidden\n", { status: 403 }),
    );
  }

  async #forward(request: Request, host: string, port: number): Promise<Response> {
    const url = new URL(request.url);
    const decision = route(this.#table, { host, port, path: url.pathname });
    const headers = new Headers(request.headers);
    for (const name of HOP_BY_HOP) headers.delete(name);
    headers.delete("host");
    if (decision.kind === "inject") {
      try {
        const header = await this.#credentials.header(decision.provider, decision.connection, {
          method: request.method,
          host,
          port,
          path: url.pathname,
        });
        headers.set(header.name, header.value.reveal());
      } catch (error) {
        const status = (error as { refusalStatus?: unknown }).refusalStatus;
        if (typeof status === "number") {
          return new Response(`authsome proxy: ${(error as Error).message}\n`, { status });
        }
        this.#warnOnce(
          `cred:${decision.provider}`,
          `no credential for ${decision.provider}: ${
            (error as Error).message
          }; forwarding unchanged`,
        );
      }
    } else if (decision.kind === "ambiguous") {
      this.#warnOnce(
        `amb:${host}${url.pathname}`,
        `ambiguous proxy match for https://${host}:${port}${url.pathname}: ` +
          `${decision.candidates.join(", ")}; forwarding unchanged`,
      );
    }
    const authority = host.includes(":") ? `[${host}]` : host;
    const upstream = `https://${authority}${
      port === 443 ? "" : `:${port}`
    }${url.pathname}${url.search}`;
    try {
      const response = await this.#platform.fetch(upstream, {
        method: request.method,
        headers,
        body: request.body,
        redirect: "manual",
      });
      const out = new Headers(response.headers);
      for (const name of HOP_BY_HOP) out.delete(name);
      return new Response(response.body, { status: response.status, headers: out });
    } catch (error) {
      this.#log.debug("proxy upstream failed", { upstream, error: (error as Error).message });
      return new Response(`authsome proxy: upstream ${host}:${port} failed\n`, { status: 502 });
    }
  }

  #warnOnce(key: string, message: string): void {
    if (this.#warned.has(key)) return;
    this.#warned.add(key);
    this.#log.warn(message);
  }

  /** Lets the proxy's connection from local port `port` through (until `forget`). */
  allow(port: number): void {
    this.#allowed.add(port);
  }

  /** Forgets a closed connection. */
  forget(port: number): void {
    this.#allowed.delete(port);
  }

  /** Stops every TLS server. */
  async close(): Promise<void> {
    const servers = [...this.#servers.values()];
    this.#servers.clear();
    await Promise.all(servers.map(async (s) => (await s.catch(() => null))?.close()));
  }
}
