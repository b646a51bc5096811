/**
 * The daemon's HTTP server behind the connection gate (`connection_gate.ts`): caps on
 * connections, idle time and lifetime, and accept errors (EMFILE) that never stop it. Loaded
 * only when a server asks for limits.
 *
 * @module
 */
import { fitToDescriptors, type GateLimits, startGate } from "./connection_gate.ts";
import { connectionStreams } from "./deno_net.ts";
import type { LocalServer, ServeOptions } from "./types.ts";

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
export async function gatedServe(
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
      accept: async () => connectionStreams(await listener.accept()),
      close: () => {
        try {
          listener.close();
        } catch {
          // Already closed.
        }
      },
    },
    async () => connectionStreams(await Deno.connect({ transport: "unix", path })),
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
