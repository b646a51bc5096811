/**
 * The daemon under a local denial of service: many idle sockets (slowloris), a client that
 * trickles bytes, and accept errors (EMFILE). It must cap what it holds open, drop what stays
 * silent, and keep answering real requests afterwards.
 */
import assert from "node:assert/strict";
import { daemonFiles } from "../../src/daemon/client.ts";
import { callDaemon, locateDaemon } from "../../src/daemon/connect.ts";
import { serveDaemon } from "../../src/daemon/serve.ts";
import { fitToDescriptors, startGate } from "../../src/platform/connection_gate.ts";
import type { ByteStream } from "../../src/platform/types.ts";
import { testContext } from "../auth/_context.ts";

Deno.test.sanitizer?.({ ops: true, resources: true });

const LIMITS = { maxConnections: 8, idleTimeoutMs: 400, maxLifetimeMs: 1_500 };
const decoder = new TextDecoder();

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Reads until the peer closes, or for at most `ms` (then we close it ourselves): the bytes, and
 * whether the peer was the one to close.
 */
async function readUntilClosed(
  conn: Deno.Conn,
  ms: number,
): Promise<{ text: string; closed: boolean }> {
  const buffer = new Uint8Array(4096);
  let text = "";
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    close(conn);
  }, ms);
  try {
    while (true) {
      const n = await conn.read(buffer).catch(() => null);
      if (n === null) return { text, closed: !timedOut };
      text += decoder.decode(buffer.subarray(0, n));
    }
  } finally {
    clearTimeout(timer);
  }
}

function close(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch {
    // Already closed.
  }
}

async function health(t: Awaited<ReturnType<typeof testContext>>) {
  const found = await locateDaemon(t.platform, daemonFiles(t.ctx.paths));
  if (found.state !== "running") throw new Error(`daemon ${found.state}`);
  return await callDaemon(t.platform, found.endpoint, {
    method: "GET",
    path: "/v1/health",
    timeoutMs: 2_000,
  });
}

Deno.test("many idle sockets: beyond the cap they get 503 at once, the idle ones are dropped, the daemon answers again", async () => {
  await using t = await testContext();
  const daemon = await serveDaemon(t.ctx, { port: 0, version: "test", limits: LIMITS });
  const sockets: Deno.Conn[] = [];
  try {
    assert.equal((await health(t)).status, 200);
    for (let i = 0; i < 40; i++) {
      sockets.push(await Deno.connect({ hostname: "127.0.0.1", port: daemon.port }));
    }
    await sleep(100);
    // A real request while the cap is taken is told so, not left hanging.
    const busy = await health(t);
    assert.equal(busy.status, 503);
    assert.match(JSON.stringify(busy.body), /too many open connections/);
    const overflow = await readUntilClosed(sockets[39], 200);
    assert.match(overflow.text, /^HTTP\/1\.1 503 /);
    assert.ok(overflow.closed);
    // The silent ones are cut after the idle timeout, then service resumes.
    const first = await readUntilClosed(sockets[0], LIMITS.idleTimeoutMs + 600);
    assert.deepEqual(first, { text: "", closed: true });
    assert.equal((await health(t)).status, 200);
  } finally {
    for (const socket of sockets) close(socket);
    await daemon.stop();
  }
});

Deno.test("a client trickling bytes (slowloris) is cut at the lifetime cap", async () => {
  await using t = await testContext();
  const daemon = await serveDaemon(t.ctx, { port: 0, version: "test", limits: LIMITS });
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: daemon.port });
  try {
    const request = "GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + "a".repeat(100);
    const started = Date.now();
    let cut = false;
    for (const byte of new TextEncoder().encode(request)) {
      try {
        await conn.write(new Uint8Array([byte]));
      } catch {
        cut = true;
        break;
      }
      await sleep(50);
      if (Date.now() - started > LIMITS.maxLifetimeMs + 1_000) break;
    }
    if (!cut) cut = (await readUntilClosed(conn, 1_000)).closed;
    assert.ok(cut, "the trickling connection was closed");
    assert.ok(Date.now() - started < LIMITS.maxLifetimeMs + 1_500);
    assert.equal((await health(t)).status, 200);
  } finally {
    close(conn);
    await daemon.stop();
  }
});

Deno.test("accept errors (EMFILE) are waited out, never fatal", async () => {
  const failures = [
    "Too many open files (os error 24)",
    "Too many open files (os error 24)",
    "Software caused connection abort (os error 103)",
  ];
  const served: string[] = [];
  const errors: unknown[] = [];
  const { promise: done, resolve } = Promise.withResolvers<void>();
  let closed = false;
  const connection = (name: string): ByteStream => ({
    readable: new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(name));
        controller.close();
      },
    }),
    writable: new WritableStream(),
    close() {},
  });
  const pending = ["a", "b"];
  const gate = startGate(
    {
      accept() {
        const failure = failures.shift();
        if (failure) return Promise.reject(new Error(failure));
        const name = pending.shift();
        if (name) return Promise.resolve(connection(name));
        resolve();
        return new Promise((_, reject) => {
          const check = setInterval(() => {
            if (closed) {
              clearInterval(check);
              reject(new Error("closed"));
            }
          }, 5);
        });
      },
      close() {
        closed = true;
      },
    },
    () => {
      const upstream = {
        readable: new ReadableStream<Uint8Array>({ start: (c) => c.close() }),
        writable: new WritableStream<Uint8Array>({
          write: (chunk) => void served.push(decoder.decode(chunk)),
        }),
        close() {},
      };
      return Promise.resolve(upstream);
    },
    LIMITS,
    { onAcceptError: (error) => errors.push(error) },
  );
  await done;
  await gate.close();
  assert.equal(errors.length, 3);
  assert.deepEqual(served.sort(), ["a", "b"]);
});

Deno.test("the connection cap shrinks to what the open-file limit can carry", () => {
  const limits = { maxConnections: 64, idleTimeoutMs: 1, maxLifetimeMs: 1 };
  assert.equal(fitToDescriptors(limits, null).maxConnections, 64, "unknown: as configured");
  assert.equal(fitToDescriptors(limits, 1_000).maxConnections, 64);
  assert.equal(fitToDescriptors(limits, 84).maxConnections, 10);
  assert.equal(fitToDescriptors(limits, 10).maxConnections, 1, "never below one");
});

Deno.test("the relay socket lives in the private daemon directory; a leftover one is replaced", async () => {
  await using t = await testContext();
  const files = daemonFiles(t.ctx.paths);
  await Deno.mkdir(files.dir, { recursive: true, mode: 0o700 });
  // What a daemon killed with SIGKILL leaves behind.
  await Deno.writeTextFile(`${files.dir}/http.sock`, "");
  const daemon = await serveDaemon(t.ctx, { port: 0, version: "test", limits: LIMITS });
  try {
    assert.ok(Deno.lstatSync(`${files.dir}/http.sock`).isSocket);
    assert.equal(Deno.statSync(files.dir).mode! & 0o777, 0o700);
    assert.equal((await health(t)).status, 200);
  } finally {
    await daemon.stop();
  }
  assert.throws(() => Deno.lstatSync(`${files.dir}/http.sock`), Deno.errors.NotFound);
});
