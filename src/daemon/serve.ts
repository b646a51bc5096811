/**
 * Running the daemon: bind the handler to 127.0.0.1 (and nothing else), publish `daemon/port`,
 * `daemon/pid` and `daemon/token` (0600, in a 0700 directory), and on SIGINT/SIGTERM/SIGHUP or
 * {@linkcode RunningDaemon.stop} finish in-flight requests, remove the files and audit
 * `daemon_stop`. The serving process holds a flock on `daemon/lock` for its whole life, so two
 * daemons never serve one home and clients can tell a live daemon from leftover files.
 *
 * @module
 */
import type { AuthsomeContext } from "../auth/context.ts";
import { AuthsomeError, DaemonUnavailableError, describeError, UsageError } from "../errors.ts";
import { Secret } from "../model/secret.ts";
import { DEFAULT_GATE_LIMITS, type GateLimits } from "../platform/connection_gate.ts";
import type { HeldLock, LocalServer } from "../platform/types.ts";
import type { ProviderRegistry } from "../providers/registry.ts";
import { daemonFiles } from "./client.ts";
import { removeDaemonFiles } from "./connect.ts";
import { createDaemonHandler } from "./handler.ts";
import { GrantRegistry } from "../grants/registry.ts";

/** The port `daemon serve` and `daemon start` use without `--port`. */
export const DEFAULT_DAEMON_PORT = 7998;
/** The only address the daemon binds. */
export const DAEMON_HOSTNAME = "127.0.0.1";
/** How long a custom provider definition may stay cached (a `register` shows up this fast). */
const PROVIDERS_TTL_MS = 1_000;
/** Waiting for the lock covers a daemon that is still cleaning up after its stop. */
const LOCK_WAIT_MS = 2_000;

/** Options of {@linkcode serveDaemon}. */
export interface DaemonServeOptions {
  /** 0 picks a free port. */
  port: number;
  /** Only `127.0.0.1` is accepted; present so that asking for anything else fails loudly. */
  hostname?: string;
  version: string;
  /** Caps on connections (count, idle time, lifetime); the defaults suit every real use. */
  limits?: GateLimits;
  /**
   * Key mode `daemon`: the unlock proof callers must add to the bearer token to read the vault
   * or mint grants (see `handler.ts`).
   */
  unlockProof?: Uint8Array | null;
}

/** A daemon serving in this process. */
export interface RunningDaemon {
  port: number;
  pid: number;
  url: string;
  /** Stops serving (idempotent); resolves when the files are gone. */
  stop(reason?: string): Promise<void>;
  /** Resolves once the daemon has stopped, by {@linkcode stop} or a signal. */
  finished: Promise<void>;
}

/** Starts serving `ctx`'s home; rejects when another daemon serves it or the port is taken. */
export async function serveDaemon(
  ctx: AuthsomeContext,
  options: DaemonServeOptions,
): Promise<RunningDaemon> {
  const hostname = options.hostname ?? DAEMON_HOSTNAME;
  if (hostname !== DAEMON_HOSTNAME) {
    throw new UsageError(`the daemon listens on ${DAEMON_HOSTNAME} only, not ${hostname}`);
  }
  const port = options.port;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new UsageError(`--port must be a port number (0-65535), got ${port}`);
  }
  const { platform } = ctx;
  const fs = platform.fs;
  const files = daemonFiles(ctx.paths);
  await ctx.vault.ensureHome();
  await fs.ensureDir(files.dir, 0o700);
  await fs.chmod(files.dir, 0o700);
  const lock = await fs.lock(files.lock, LOCK_WAIT_MS);
  if (!lock) {
    throw new AuthsomeError(`a daemon is already running for ${ctx.paths.home}`, {
      hint: "authsome daemon status",
    });
  }
  let server: LocalServer | null = null;
  let grants: GrantRegistry | null = null;
  const write = (path: string, text: string) =>
    fs.writeFileAtomic(path, new TextEncoder().encode(`${text}\n`), { mode: 0o600 });
  try {
    // Leftovers of a daemon that died go first; the pid at once, so `daemon stop` can reach a
    // daemon that is still starting.
    await removeDaemonFiles(platform, files);
    await write(files.pid, String(platform.pid));
    // Fail before announcing anything when the vault cannot be opened (wrong key, corrupt).
    await ctx.vault.read();
    const token = platform.randomBytes(32).toBase64({ alphabet: "base64url", omitPadding: true });
    // Registered as a secret so that the debug log masks it wherever it might appear.
    new Secret(token);
    let handler: ((request: Request) => Promise<Response>) | null = null;
    server = await platform.serve(
      {
        hostname: DAEMON_HOSTNAME,
        port,
        limits: options.limits ?? DEFAULT_GATE_LIMITS,
        relaySocket: `${files.dir}/http.sock`,
      },
      (request) => handler ? handler(request) : new Response(null, { status: 503 }),
    );
    const startedAt = platform.clock.now();
    grants = new GrantRegistry(platform);
    handler = createDaemonHandler(withFreshProviders(ctx), {
      token,
      port: server.port,
      version: options.version,
      startedAt,
      grants,
      unlockProof: options.unlockProof ?? null,
    });
    // The port last: its presence is what tells clients the daemon is ready.
    await write(files.token, token);
    await write(files.port, String(server.port));
    await ctx.audit.append({
      event: "daemon_start",
      status: "success",
      pid: platform.pid,
      port: server.port,
    });
    return running(ctx, server, lock, grants);
  } catch (error) {
    await grants?.close();
    await server?.close();
    await removeDaemonFiles(platform, files);
    await lock.release();
    if (error instanceof Error && error.name === "AddrInUse") {
      throw new DaemonUnavailableError(`port ${port} on ${DAEMON_HOSTNAME} is already in use`, {
        hint: "authsome daemon start --port <another port>   # or --port 0 for any free port",
      });
    }
    throw error;
  }
}

function running(
  ctx: AuthsomeContext,
  server: LocalServer,
  lock: HeldLock,
  grants: GrantRegistry,
): RunningDaemon {
  const { platform } = ctx;
  const files = daemonFiles(ctx.paths);
  const { promise: finished, resolve, reject } = Promise.withResolvers<void>();
  let stopping: Promise<void> | null = null;
  const stop = (reason = "stop"): Promise<void> => {
    stopping ??= (async () => {
      removeListener();
      try {
        // Clients stop choosing us first; requests already in flight are answered.
        await platform.fs.remove(files.port);
        // Grants end with the daemon: their proxies stop injecting at once.
        await grants.close();
        await server.close();
        await removeDaemonFiles(platform, files);
        await ctx.audit.append({
          event: "daemon_stop",
          status: "success",
          pid: platform.pid,
          port: server.port,
          reason,
        }).catch((error) => ctx.log.warn(`cannot audit daemon_stop: ${describeError(error)}`));
      } catch (error) {
        reject(error);
        throw error;
      } finally {
        await lock.release();
      }
      resolve();
    })();
    return stopping;
  };
  const removeListener = platform.onTerminate((signal) => {
    ctx.log.info(`daemon received ${signal}; stopping`);
    stop(signal).catch(() => {/* reported through `finished` */});
  });
  return {
    port: server.port,
    pid: platform.pid,
    url: `http://${DAEMON_HOSTNAME}:${server.port}/v1/`,
    stop,
    finished,
  };
}

/**
 * The daemon lives long, so the provider registry (custom definitions) is re-read when older
 * than a second instead of being cached for the life of the process.
 */
function withFreshProviders(ctx: AuthsomeContext): AuthsomeContext {
  let cached: { at: number; registry: Promise<ProviderRegistry> } | null = null;
  let first = true;
  return {
    ...ctx,
    providers() {
      const now = ctx.platform.clock.now();
      if (cached && now - cached.at < PROVIDERS_TTL_MS) return cached.registry;
      const registry = import("../providers/registry.ts").then(({ ProviderRegistry }) =>
        ProviderRegistry.load(ctx.platform, ctx.paths.home)
      );
      const entry = { at: now, registry };
      cached = entry;
      registry.then((loaded) => {
        // Warn once, not on every reload.
        if (first) {
          for (const w of loaded.warnings) ctx.log.warn(`skipping ${w.file}: ${w.message}`);
        }
        first = false;
      }, () => {
        if (cached === entry) cached = null;
      });
      return registry;
    },
  };
}
