/**
 * The front door of a long-lived loopback server (the daemon): it accepts TCP connections
 * itself and hands each one to the HTTP server behind it, byte for byte, so that it can refuse
 * what `Deno.serve` cannot: more than `maxConnections` at once (each is a file descriptor), a
 * connection that stays silent past `idleTimeoutMs` or lives past `maxLifetimeMs` (slowloris:
 * a local process opening many sockets and trickling bytes to pin them). An `accept` that fails
 * (EMFILE when the process is out of file descriptors, ECONNABORTED) is waited out, never
 * fatal. Pure: the sockets come from the {@linkcode GateListener} and `connectUpstream` given.
 *
 * @module
 */

import type { ByteStream } from "./types.ts";

/** Accepts connections one at a time; `accept` rejects on an accept error or once closed. */
export interface GateListener {
  accept(): Promise<ByteStream>;
  close(): void;
}

/** The caps. */
export interface GateLimits {
  /** Connections served at once; more are answered 503 and closed. */
  maxConnections: number;
  /** A connection with no bytes either way for this long is closed. */
  idleTimeoutMs: number;
  /** A connection is closed after this long whatever it does. */
  maxLifetimeMs: number;
}

/** The daemon's caps: its clients make one short request per connection. */
export const DEFAULT_GATE_LIMITS: GateLimits = {
  maxConnections: 64,
  idleTimeoutMs: 10_000,
  maxLifetimeMs: 60_000,
};

/**
 * Descriptors one served connection may hold: the client socket, both ends of the relay to the
 * HTTP server, and the files its request opens (vault, locks, audit log).
 */
const DESCRIPTORS_PER_CONNECTION = 6;
/** Kept free for everything else the process does. */
const DESCRIPTOR_RESERVE = 16;
/** Refused connections being told "busy" at once; more are closed without a word. */
const MAX_REFUSING = 8;

/**
 * `limits` with `maxConnections` lowered to what `spareDescriptors` (the open-file limit minus
 * those in use) can carry, at least 1: past it the HTTP server's own accept fails with EMFILE,
 * which it does not survive.
 */
export function fitToDescriptors(limits: GateLimits, spareDescriptors: number | null): GateLimits {
  if (spareDescriptors === null) return limits;
  const affordable = Math.floor(
    (spareDescriptors - DESCRIPTOR_RESERVE - MAX_REFUSING) / DESCRIPTORS_PER_CONNECTION,
  );
  return { ...limits, maxConnections: Math.max(1, Math.min(limits.maxConnections, affordable)) };
}

/** Waiting after a failed accept (doubling up to the maximum), so EMFILE cannot spin the CPU. */
const ACCEPT_BACKOFF_MS = 10;
const ACCEPT_BACKOFF_MAX_MS = 1_000;

const BUSY_BODY = '{"error":"busy","message":"too many open connections; retry shortly"}';
const BUSY_RESPONSE = new TextEncoder().encode(
  "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n" +
    `Content-Length: ${BUSY_BODY.length}\r\nConnection: close\r\nRetry-After: 1\r\n\r\n` +
    BUSY_BODY,
);

/** What the gate saw, for the debug log and the tests. */
export interface GateEvents {
  onAcceptError?(error: unknown): void;
  onRefused?(open: number): void;
  onTimeout?(kind: "idle" | "lifetime"): void;
}

/** A running gate. */
export interface Gate {
  /** Connections open now. */
  readonly open: number;
  /** Stops accepting; connections already open go on (to finish their requests). */
  stopAccepting(): Promise<void>;
  /** Stops accepting and closes every connection. */
  close(): Promise<void>;
}

/** Starts the accept loop. */
export function startGate(
  listener: GateListener,
  connectUpstream: () => Promise<ByteStream>,
  limits: GateLimits = DEFAULT_GATE_LIMITS,
  events: GateEvents = {},
): Gate {
  const active = new Set<() => void>();
  let refusing = 0;
  let closed = false;

  const serveOne = async (client: ByteStream) => {
    let upstream: ByteStream | null = null;
    let idleTimer: ReturnType<typeof setTimeout> | undefined;
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      clearTimeout(idleTimer);
      clearTimeout(lifetimeTimer);
      active.delete(finish);
      client.close();
      upstream?.close();
    };
    const touch = () => {
      clearTimeout(idleTimer);
      idleTimer = setTimeout(() => {
        events.onTimeout?.("idle");
        finish();
      }, limits.idleTimeoutMs);
    };
    const lifetimeTimer = setTimeout(() => {
      events.onTimeout?.("lifetime");
      finish();
    }, limits.maxLifetimeMs);
    active.add(finish);
    touch();
    try {
      upstream = await connectUpstream();
      if (finished) {
        upstream.close();
        return;
      }
      // Either side ending ends the connection. A client that half-closes after its request
      // would lose the answer, but so it would talking to Deno.serve directly (which treats
      // EOF as goodbye), and a client gone away frees its descriptors at once.
      await Promise.race([pump(client, upstream, touch), pump(upstream, client, touch)]);
    } catch {
      // A reset peer or an upstream gone away: nothing to report to anyone.
    } finally {
      finish();
    }
  };

  const refuse = async (client: ByteStream) => {
    events.onRefused?.(active.size);
    if (refusing >= MAX_REFUSING) {
      client.close();
      return;
    }
    refusing++;
    const timer = setTimeout(() => client.close(), 1_000);
    try {
      const writer = client.writable.getWriter();
      await writer.write(BUSY_RESPONSE);
      writer.releaseLock();
    } catch {
      // The refused client went away first.
    } finally {
      refusing--;
      clearTimeout(timer);
      client.close();
    }
  };

  const loop = (async () => {
    let backoff = ACCEPT_BACKOFF_MS;
    while (!closed) {
      let client: ByteStream;
      try {
        client = await listener.accept();
      } catch (error) {
        if (closed) break;
        events.onAcceptError?.(error);
        // Out of descriptors (EMFILE) or similar: wait for connections to end, then go on.
        await new Promise((resolve) => setTimeout(resolve, backoff));
        backoff = Math.min(backoff * 2, ACCEPT_BACKOFF_MAX_MS);
        continue;
      }
      backoff = ACCEPT_BACKOFF_MS;
      if (closed) {
        client.close();
        break;
      }
      if (active.size >= limits.maxConnections) refuse(client);
      else serveOne(client);
    }
  })();

  return {
    get open() {
      return active.size;
    },
    async stopAccepting() {
      closed = true;
      listener.close();
      await loop;
    },
    async close() {
      await this.stopAccepting();
      for (const finish of [...active]) finish();
    },
  };
}

/** Copies `from` to `to`, calling `activity` on every chunk, until `from` ends. */
async function pump(
  from: ByteStream,
  to: ByteStream,
  activity: () => void,
): Promise<void> {
  const reader = from.readable.getReader();
  const writer = to.writable.getWriter();
  try {
    while (true) {
      const { value, done } = await reader.read();
      if (done) break;
      activity();
      await writer.write(value);
    }
  } finally {
    reader.releaseLock();
    writer.releaseLock();
  }
}
