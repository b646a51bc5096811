/**
 * Test helpers for the OAuth protocol modules: injected deps with a fake `fetch`, a fake clock
 * that records every wait, a captured log, and real loopback servers for network failures.
 */
import type { OAuthDeps } from "../../src/oauth/types.ts";
import type { LocalServer, ServeOptions } from "../../src/platform/types.ts";

// Deno's fetch honours HTTP(S)_PROXY even for 127.0.0.1.
for (const name of ["HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY"]) {
  Deno.env.delete(name);
}
Deno.env.set("NO_PROXY", "127.0.0.1,localhost");

/** One captured log line. */
export interface LogLine {
  level: "debug" | "warn";
  message: string;
  fields?: Record<string, unknown>;
}

/** Handles one request of the fake `fetch`. */
export type FakeHandler = (request: Request) => Response | Promise<Response>;

/** Deps plus what the test inspects. */
export interface TestDeps extends OAuthDeps {
  requests: Request[];
  /** Bodies of `requests`, read before the handler ran. */
  bodies: string[];
  logs: LogLine[];
  /** Every `sleep` duration, in order. */
  sleeps: number[];
  /** `now()` at each fetch call. */
  fetchTimes: number[];
  /** Everything logged, as one string, to search for leaked secrets. */
  logText(): string;
}

/** Deps whose `fetch` calls `handler` (or the real fetch when none), with a fake clock. */
export function testDeps(
  handler?: FakeHandler,
  options: { now?: number; signal?: AbortSignal } = {},
): TestDeps {
  let now = options.now ?? Date.UTC(2026, 0, 1);
  const deps: TestDeps = {
    requests: [],
    bodies: [],
    logs: [],
    sleeps: [],
    fetchTimes: [],
    signal: options.signal,
    now: () => now,
    sleep(ms) {
      deps.sleeps.push(ms);
      now += ms;
      return Promise.resolve();
    },
    randomBytes: (length) => crypto.getRandomValues(new Uint8Array(length)),
    log: {
      debug: (message, fields) => void deps.logs.push({ level: "debug", message, fields }),
      warn: (message, fields) => void deps.logs.push({ level: "warn", message, fields }),
    },
    fetch: async (input, init) => {
      deps.fetchTimes.push(now);
      if (!handler) return await fetch(input, init);
      const request = new Request(input, init);
      deps.requests.push(request);
      deps.bodies.push(await request.clone().text());
      init?.signal?.throwIfAborted();
      const response = handler(request);
      if (!init?.signal) return await response;
      const signal = init.signal;
      return await new Promise<Response>((resolve, reject) => {
        const onAbort = () => reject(signal.reason);
        signal.addEventListener("abort", onAbort, { once: true });
        Promise.resolve(response).then(resolve, reject).finally(() =>
          signal.removeEventListener("abort", onAbort)
        );
      });
    },
    logText: () => JSON.stringify(deps.logs),
  };
  return deps;
}

/** A JSON response. */
export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "Content-Type": "application/json", ...headers },
  });
}

/** A form-encoded response (GitHub without `Accept: application/json`). */
export function form(body: Record<string, string>, status = 200): Response {
  return new Response(new URLSearchParams(body).toString(), {
    status,
    headers: { "Content-Type": "application/x-www-form-urlencoded; charset=utf-8" },
  });
}

/** The form fields of a captured request body. */
export function fields(body: string): Record<string, string> {
  return Object.fromEntries(new URLSearchParams(body));
}

/** `Platform.serve` on the real network (as `src/platform/deno.ts` does it). */
export async function listen(
  options: ServeOptions,
  handler: (request: Request) => Response | Promise<Response>,
): Promise<LocalServer> {
  const { promise, resolve } = Promise.withResolvers<number>();
  const server = Deno.serve({
    hostname: options.hostname,
    port: options.port,
    signal: options.signal,
    onListen: ({ port }) => resolve(port),
  }, handler);
  const port = await promise;
  return { port, close: () => server.shutdown() };
}

/** A real HTTP server on 127.0.0.1 for the duration of `fn`. */
export async function withServer(
  handler: (request: Request) => Response | Promise<Response>,
  fn: (base: string) => Promise<void>,
): Promise<void> {
  const server = await listen({ hostname: "127.0.0.1", port: 0 }, handler);
  try {
    await fn(`http://127.0.0.1:${server.port}`);
  } finally {
    await server.close();
  }
}

/** A 127.0.0.1 port with nothing listening on it. */
export function closedPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/**
 * A TCP server that accepts connections and then either never answers (`silent`) or closes
 * them at once (`reset`), for `fn`'s duration.
 */
export async function withRawServer(
  mode: "silent" | "reset",
  fn: (base: string) => Promise<void>,
): Promise<void> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  const open: Deno.Conn[] = [];
  const accepting = (async () => {
    try {
      for await (const conn of listener) {
        if (mode === "reset") conn.close();
        else open.push(conn);
      }
    } catch {
      // listener closed
    }
  })();
  try {
    await fn(`http://127.0.0.1:${port}`);
  } finally {
    listener.close();
    await accepting;
    for (const conn of open) {
      try {
        conn.close();
      } catch {
        // already closed
      }
    }
  }
}
