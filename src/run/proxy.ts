/**
 * The `run` proxy: an HTTP proxy on 127.0.0.1 (ephemeral port). A CONNECT to a host the
 * routing table covers is handed to the interceptor in process (TLS terminated, auth header
 * added); every other CONNECT is tunnelled untouched to its destination. Plain-HTTP requests
 * are forwarded without credentials. A destination that cannot be reached gets a 502 saying
 * why.
 *
 * @module
 */
import type { LogSink } from "../auth/context.ts";
import type { ByteStream, Platform, TcpConnection, TcpListener } from "../platform/types.ts";
import type { Interceptor } from "./interceptor.ts";
import { hostNeedsInterception, normalizeHost, type RouteTable } from "./routing.ts";
import { describeUpstreamFailure } from "./upstream_failure.ts";
import type { UpstreamProxyPicker } from "./upstream_proxy.ts";

const MAX_HEAD = 64 * 1024;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A running proxy. */
export interface RunningProxy {
  port: number;
  close(): Promise<void>;
}

interface Head {
  method: string;
  target: string;
  version: string;
  lines: string[];
  /** Bytes read after the head (the start of a body or of a TLS handshake). */
  rest: Uint8Array;
}

async function readHead(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<Head | null> {
  let buffered = new Uint8Array(0);
  while (buffered.length < MAX_HEAD) {
    const { value, done } = await reader.read();
    if (done) return null;
    const next = new Uint8Array(buffered.length + value.length);
    next.set(buffered);
    next.set(value, buffered.length);
    buffered = next;
    const end = decoder.decode(buffered).indexOf("\r\n\r\n");
    if (end === -1) continue;
    const headBytes = encoder.encode(decoder.decode(buffered).slice(0, end)).length;
    const text = decoder.decode(buffered.subarray(0, headBytes));
    const [requestLine, ...lines] = text.split("\r\n");
    const [method, target, version] = requestLine.split(" ");
    return { method, target, version, lines, rest: buffered.subarray(headBytes + 4) };
  }
  return null;
}

/** `host:port` of a CONNECT target, IPv6 in brackets allowed. */
export function parseAuthority(target: string, defaultPort: number): [string, number] | null {
  const match = target.match(/^\[([^\]]+)\](?::(\d+))?$/) ?? target.match(/^([^:]+)(?::(\d+))?$/);
  if (!match) return null;
  const port = match[2] ? Number(match[2]) : defaultPort;
  if (!Number.isInteger(port) || port < 1 || port > 65535) return null;
  // No DNS name is longer; a longer one would only make host patterns work harder.
  if (match[1].length > 253) return null;
  return [normalizeHost(match[1]), port];
}

async function pipeBoth(
  client: TcpConnection,
  reader: ReadableStreamDefaultReader<Uint8Array>,
  upstream: TcpConnection,
  first: Uint8Array,
) {
  const toUpstream = (async () => {
    const writer = upstream.writable.getWriter();
    try {
      if (first.length > 0) await writer.write(first);
      while (true) {
        const { value, done } = await reader.read();
        if (done) break;
        await writer.write(value);
      }
    } catch {
      // One side went away.
    } finally {
      await writer.close().catch(() => {});
    }
  })();
  const toClient = upstream.readable.pipeTo(client.writable).catch(() => {});
  await Promise.all([toUpstream, toClient]);
}

async function reply(client: TcpConnection, text: string): Promise<void> {
  const writer = client.writable.getWriter();
  try {
    await writer.write(encoder.encode(text));
  } finally {
    writer.releaseLock();
  }
}

function constantTimeEqual(a: string, b: string): boolean {
  const x = encoder.encode(a);
  const y = encoder.encode(b);
  let diff = x.length ^ y.length;
  for (let i = 0; i < Math.max(x.length, y.length); i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return diff === 0;
}

function authorized(head: Head, expected: string): boolean {
  const line = head.lines.find((l) => /^proxy-authorization:/i.test(l));
  const value = line?.slice(line.indexOf(":") + 1).trim() ?? "";
  return constantTimeEqual(value, expected);
}

/** Starts the proxy; `credentials` is the `user:password` every request must present. */
export function startProxy(
  platform: Platform,
  parts: {
    table: RouteTable;
    interceptor: Interceptor;
    log: LogSink;
    credentials: string;
    /** The parent's proxy to reach a host through, if any. */
    upstreamProxy?: UpstreamProxyPicker;
  },
): RunningProxy {
  const pick = parts.upstreamProxy ?? (() => null);
  const expected = `Basic ${btoa(parts.credentials)}`;
  const listener: TcpListener = platform.listenTcp("127.0.0.1", 0);
  const active = new Set<Promise<void>>();
  const clients = new Set<TcpConnection>();
  const handle = async (client: TcpConnection) => {
    clients.add(client);
    const reader = client.readable.getReader();
    let upstream: TcpConnection | null = null;
    let established = false;
    try {
      const head = await readHead(reader);
      if (!head) return;
      if (!authorized(head, expected)) {
        return await reply(
          client,
          'HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="authsome"' +
            "\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
        );
      }
      if (head.method === "CONNECT") {
        const authority = parseAuthority(head.target, 443);
        if (!authority) return await reply(client, "HTTP/1.1 400 Bad Request\r\n\r\n");
        const [host, port] = authority;
        if (hostNeedsInterception(parts.table, host, port)) {
          established = true;
          await reply(client, "HTTP/1.1 200 Connection Established\r\n\r\n");
          return await parts.interceptor.handle(tunnelOf(client, reader, head.rest), host, port);
        }
        upstream = await connectOr502(platform, client, parts.log, host, port, pick);
        if (!upstream) return;
        established = true;
        await reply(client, "HTTP/1.1 200 Connection Established\r\n\r\n");
        await pipeBoth(client, reader, upstream, head.rest);
        return;
      }
      // Plain HTTP (absolute-form target): forwarded as is, never given credentials.
      const url = URL.canParse(head.target) ? new URL(head.target) : null;
      if (!url || url.protocol !== "http:") {
        return await reply(client, "HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n");
      }
      upstream = await connectOr502(
        platform,
        client,
        parts.log,
        normalizeHost(url.hostname),
        Number(url.port || 80),
        pick,
      );
      if (!upstream) return;
      const lines = head.lines.filter((line) =>
        !/^(proxy-connection|connection|proxy-authorization):/i.test(line)
      );
      const rewritten = `${head.method} ${url.pathname}${url.search} ${head.version}\r\n` +
        [...lines, "Connection: close"].join("\r\n") + "\r\n\r\n";
      await pipeBoth(client, reader, upstream, concat(encoder.encode(rewritten), head.rest));
    } catch (error) {
      parts.log.debug("proxy connection failed", { error: (error as Error).message });
      if (!established) {
        await reply(client, "HTTP/1.1 502 Bad Gateway\r\nConnection: close\r\n\r\n")
          .catch(() => {});
      }
    } finally {
      upstream?.close();
      client.close();
      clients.delete(client);
    }
  };
  const accepting = (async () => {
    for await (const client of listener.accept()) {
      const task = handle(client);
      active.add(task);
      task.finally(() => active.delete(task));
    }
  })();
  return {
    port: listener.port,
    async close() {
      listener.close();
      await accepting;
      // The child has exited; connections its own children still hold are cut.
      for (const client of clients) client.close();
      await Promise.allSettled([...active]);
    },
  };
}

/** The CONNECT tunnel as a stream: the bytes read after the head, then the rest. */
function tunnelOf(
  client: TcpConnection,
  reader: ReadableStreamDefaultReader<Uint8Array>,
  first: Uint8Array,
): ByteStream {
  let pending: Uint8Array | null = first.length > 0 ? first : null;
  const readable = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (pending) {
        controller.enqueue(pending);
        pending = null;
        return;
      }
      try {
        const { value, done } = await reader.read();
        if (done) controller.close();
        else controller.enqueue(value);
      } catch (error) {
        controller.error(error);
      }
    },
    cancel() {
      client.close();
    },
  });
  return { readable, writable: client.writable, close: () => client.close() };
}

/** Connects to `host:port`, or answers 502 with the reason and resolves null. */
async function connectOr502(
  platform: Platform,
  client: TcpConnection,
  log: LogSink,
  host: string,
  port: number,
  pick: UpstreamProxyPicker,
): Promise<TcpConnection | null> {
  try {
    return await platform.connectTcp(host, port, { via: pick(host, port) });
  } catch (error) {
    const reason = describeUpstreamFailure(error, host, port);
    log.debug("proxy upstream failed", { host, port, reason });
    const body = `authsome proxy: ${reason}\n`;
    await reply(
      client,
      "HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/plain; charset=utf-8\r\n" +
        `Content-Length: ${encoder.encode(body).length}\r\nConnection: close\r\n\r\n${body}`,
    ).catch(() => {});
    return null;
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
