/**
 * The real platform, on Deno. The `src/platform/deno*.ts` files and `cli.ts` are the only places
 * that touch `Deno.*`; this one assembles them.
 *
 * @module
 */
import { denoFileSystem } from "./deno_fs.ts";
import { connectTcp, listenTcp, loopbackRequest, serve } from "./deno_net.ts";
import {
  onInterrupt,
  onTerminate,
  openBrowser,
  runChild,
  selfCommand,
  signalProcess,
  spawnDetached,
} from "./deno_process.ts";
import { denoTerminal } from "./deno_terminal.ts";
import type { Platform } from "./types.ts";

export { denoFileSystem } from "./deno_fs.ts";
export { denoTerminal } from "./deno_terminal.ts";

/**
 * The TLS code uses `node:tls`, and the first `node:` import makes Deno set up its Node
 * compatibility layer (tens of milliseconds): loaded only when `run` or a grant needs it, never
 * on `get`'s path.
 */
const tls = () => import("./deno_tls.ts");

/** The platform of the running Deno process. */
export function denoPlatform(): Platform {
  return {
    fs: denoFileSystem,
    clock: {
      now: () => Date.now(),
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    },
    terminal: denoTerminal,
    env: (name) => Deno.env.get(name),
    randomBytes: (length) => crypto.getRandomValues(new Uint8Array(length)),
    userHome: () => Deno.env.get("HOME") ?? Deno.env.get("USERPROFILE"),
    pid: Deno.pid,
    userId: () => Deno.uid(),
    os: Deno.build.os,
    fetch: (input, init) => fetch(input, init),
    serve,
    openBrowser,
    onInterrupt,
    envAll: () => Deno.env.toObject(),
    runChild,
    loopbackRequest,
    spawnDetached,
    signalProcess,
    onTerminate,
    selfCommand,
    listenTcp,
    connectTcp: async (hostname, port, options) =>
      options?.via
        ? (await tls()).connectTcpThrough(options.via, hostname, port)
        : await connectTcp(hostname, port),
    connectTls: async (...args) => (await tls()).connectTls(...args),
    acceptTls: async (...args) => (await tls()).acceptTls(...args),
    async makeTempFile(prefix, content) {
      const path = await Deno.makeTempFile({ prefix });
      await Deno.chmod(path, 0o600);
      await Deno.writeTextFile(path, content);
      return path;
    },
  };
}
