/**
 * Finding a running daemon and talking to it. A daemon is alive exactly when some process holds
 * the flock on `daemon/lock` (the kernel drops it when the process dies, so a reused pid or a
 * leftover port file cannot fool us); only then are its port and token used. Leftover files of
 * a dead daemon are removed on sight. Requests are raw HTTP/1.1 through
 * `Platform.loopbackRequest`, which never goes through a proxy.
 *
 * @module
 */
import type { AuthsomeContext } from "../auth/context.ts";
import { describeError } from "../errors.ts";
import type { Platform } from "../platform/types.ts";
import { type DaemonFiles, daemonFiles } from "./client.ts";
import { errorFromBody } from "./errors.ts";
import { encodeRequest, parseResponse } from "./http1.ts";

/** How to reach a live daemon. */
export interface DaemonEndpoint {
  port: number;
  pid: number | null;
  token: string;
}

/** What {@linkcode locateDaemon} found. */
export type DaemonState =
  | { state: "absent" }
  /** Files of a dead daemon were found (and removed). */
  | { state: "stale" }
  /** The lock is held but the port or token file is not there (yet, or any more). */
  | { state: "starting"; pid: number | null }
  | { state: "running"; endpoint: DaemonEndpoint };

/** `GET /v1/health`. */
export interface DaemonHealth {
  status: string;
  version: string;
  pid: number;
  port: number;
  profile: string;
  started_at: string;
  uptime_seconds: number;
}

/** `POST /v1/token`. */
export interface TokenReply {
  provider: string;
  connection: string;
  auth_type: string;
  token: string | null;
  expires_at: string | null;
  warning?: string;
}

/** `POST /v1/export`. */
export interface ExportReply {
  variables: { name: string; value: string; provider: string; connection: string }[];
  warnings: string[];
}

/** Health checks answer at once or not at all. */
export const HEALTH_TIMEOUT_MS = 1_000;
/** Long enough for the daemon to finish a refresh; past it the caller reads the vault itself. */
export const REQUEST_TIMEOUT_MS = 5_000;

/**
 * Codes that say the daemon could not serve us (not that the request failed): the caller falls
 * back to the vault. Every other error is the answer and is thrown.
 */
const FALL_BACK = new Set([
  "unauthorized",
  "forbidden",
  "not_found",
  "method_not_allowed",
  "payload_too_large",
  "unsupported_media_type",
  "daemon_unavailable",
  "failure",
]);

/** Whether another process holds the lock at `path` (probed without waiting). */
export async function lockHeld(platform: Platform, path: string): Promise<boolean> {
  const lock = await platform.fs.lock(path, 0);
  if (lock === null) return true;
  await lock.release();
  return false;
}

/** Removes the port, pid and token files (never the lock file, which others may be opening). */
export async function removeDaemonFiles(platform: Platform, files: DaemonFiles): Promise<void> {
  // The port file first: it is what clients look for.
  for (const path of [files.port, files.pid, files.token]) await platform.fs.remove(path);
}

/** Finds the daemon of a home; removes the files of a dead one. */
export async function locateDaemon(platform: Platform, files: DaemonFiles): Promise<DaemonState> {
  const fs = platform.fs;
  if (!(await fs.stat(files.dir))?.isDirectory) return { state: "absent" };
  const probe = await fs.lock(files.lock, 0);
  if (probe) {
    // No daemon. Clean up while holding the lock, so a daemon starting right now cannot write
    // its fresh files in between and lose them to us.
    try {
      const paths = [files.port, files.pid, files.token];
      const leftovers = await Promise.all(paths.map((path) => fs.stat(path)));
      if (!leftovers.some(Boolean)) return { state: "absent" };
      await removeDaemonFiles(platform, files);
      return { state: "stale" };
    } finally {
      await probe.release();
    }
  }
  const [port, pid, token] = await Promise.all(
    [files.port, files.pid, files.token].map(async (path) => (await fs.readTextFile(path))?.trim()),
  );
  const pidNumber = pid && /^\d+$/.test(pid) ? Number(pid) : null;
  const portNumber = port && /^\d+$/.test(port) ? Number(port) : NaN;
  if (!(portNumber > 0 && portNumber < 65536) || !token) {
    return { state: "starting", pid: pidNumber };
  }
  return { state: "running", endpoint: { port: portNumber, pid: pidNumber, token } };
}

/** One request to the daemon; resolves its status and parsed JSON body (null if not JSON). */
export async function callDaemon(
  platform: Platform,
  endpoint: DaemonEndpoint,
  request: {
    method: "GET" | "POST" | "DELETE";
    path: string;
    body?: unknown;
    timeoutMs: number;
    headers?: Record<string, string>;
  },
): Promise<{ status: number; body: unknown }> {
  const bytes = encodeRequest({ ...request, port: endpoint.port, token: endpoint.token });
  const response = parseResponse(
    await platform.loopbackRequest(endpoint.port, bytes, request.timeoutMs),
  );
  let body: unknown = null;
  try {
    body = JSON.parse(new TextDecoder().decode(response.body));
  } catch {
    // Not JSON: not our daemon, or a broken one; the caller treats it as unavailable.
  }
  return { status: response.status, body };
}

/** The daemon's health, or null when it does not answer as an authsome daemon. */
export async function daemonHealth(
  platform: Platform,
  endpoint: DaemonEndpoint,
): Promise<DaemonHealth | null> {
  try {
    const reply = await callDaemon(platform, endpoint, {
      method: "GET",
      path: "/v1/health",
      timeoutMs: HEALTH_TIMEOUT_MS,
    });
    const body = reply.body as Partial<DaemonHealth> | null;
    if (reply.status !== 200 || body?.status !== "ok" || typeof body.pid !== "number") {
      return null;
    }
    return body as DaemonHealth;
  } catch {
    return null;
  }
}

/**
 * POSTs to the daemon of `ctx`'s home. Resolves the reply body on success, null when the
 * caller should use the vault directly; throws the error the daemon reported for the request.
 */
async function post(ctx: AuthsomeContext, path: string, body: unknown): Promise<unknown> {
  let reply: { status: number; body: unknown };
  try {
    const found = await locateDaemon(ctx.platform, daemonFiles(ctx.paths));
    if (found.state !== "running") return null;
    reply = await callDaemon(ctx.platform, found.endpoint, {
      method: "POST",
      path,
      body,
      timeoutMs: REQUEST_TIMEOUT_MS,
    });
  } catch (error) {
    ctx.log.debug(`daemon unreachable (${describeError(error)}); using the vault directly`);
    return null;
  }
  if (reply.status === 200 && typeof reply.body === "object" && reply.body !== null) {
    return reply.body;
  }
  const error = errorFromBody(reply.body);
  if (error && !FALL_BACK.has(error.code)) throw error;
  ctx.log.debug(`daemon answered HTTP ${reply.status} to ${path}; using the vault directly`);
  return null;
}

/** A token from the daemon (refresh rule applied there), or null: use the vault. */
export async function requestToken(
  ctx: AuthsomeContext,
  provider: string,
  connection: string | undefined,
  field?: string,
): Promise<TokenReply | null> {
  const body = await post(ctx, "/v1/token", { provider, connection, profile: ctx.profile, field });
  const reply = body as Partial<TokenReply> | null;
  if (!reply || typeof reply.auth_type !== "string") return null;
  if (typeof reply.token !== "string" && reply.token !== null) return null;
  return reply as TokenReply;
}

/** Export variables from the daemon, or null: build them from the vault. */
export async function requestExport(
  ctx: AuthsomeContext,
  provider: string | undefined,
  options: { connection?: string; format: string },
): Promise<ExportReply | null> {
  const body = await post(ctx, "/v1/export", {
    provider,
    connection: options.connection,
    format: options.format,
    profile: ctx.profile,
  });
  const reply = body as Partial<ExportReply> | null;
  if (!reply || !Array.isArray(reply.variables) || !Array.isArray(reply.warnings)) return null;
  const valid = reply.variables.every((v) =>
    typeof v?.name === "string" && typeof v.value === "string" &&
    typeof v.provider === "string" && typeof v.connection === "string"
  );
  return valid ? reply as ExportReply : null;
}
