/**
 * The daemon as `get` and `export` see it: when a daemon runs for this home they ask it (it has
 * the key and the provider registry loaded, and it shares the single-refresh guarantee through
 * `vault.lock`); when none runs they read the vault themselves. This module is on the `get`
 * fast path, so it stays tiny: with no daemon the whole cost is one `stat` of `daemon/port`, and
 * the client proper (`connect.ts`) is loaded only when that file exists.
 *
 * @module
 */
import type { AuthsomeContext } from "../auth/context.ts";
import type { ExportEntry } from "../auth/export.ts";
import type { HomePaths } from "../model/home.ts";
import { Secret } from "../model/secret.ts";

/** The daemon's state files under `<home>/daemon/` (docs/contract.md §3). */
export interface DaemonFiles {
  dir: string;
  /** The TCP port; written last when the daemon starts, removed first when it stops. */
  port: string;
  pid: string;
  /** The bearer token (32 random bytes, base64url), 0600. */
  token: string;
  /** Held (flock) by the serving process for its whole life: held means alive. */
  lock: string;
  /** stdout and stderr of a daemon started with `daemon start`. */
  log: string;
}

/** Paths of the daemon's state files. */
export function daemonFiles(paths: HomePaths): DaemonFiles {
  const dir = paths.daemon;
  return {
    dir,
    port: `${dir}/port`,
    pid: `${dir}/pid`,
    token: `${dir}/token`,
    lock: `${dir}/lock`,
    log: `${dir}/daemon.log`,
  };
}

/**
 * Whether a daemon may be running: `daemon/port` exists. Any failure to look (the home is a
 * file, unreadable, ...) means no: the direct path then reports the home's problem properly.
 */
async function mayRun(ctx: AuthsomeContext): Promise<boolean> {
  try {
    return (await ctx.platform.fs.stat(daemonFiles(ctx.paths).port)) !== null;
  } catch {
    return false;
  }
}

/** What `get --field` prints when the daemon served the credential. */
export interface DaemonField {
  /** The field's value: null when the connection holds the other kind of credential. */
  value: string | null;
  /** A refresh failed but the stored token is still valid. */
  warning?: string;
}

/**
 * For `get --field access_token|api_key`: the credential from a running daemon (which audits
 * it with `via: "daemon"`), or null when the caller must read the vault itself (no daemon, a
 * stale one, or a field the daemon does not serve). Errors of the request itself (unknown
 * provider, no connection, refresh failed, vault unavailable) are thrown as the same error
 * classes as the direct path.
 */
export async function daemonField(
  ctx: AuthsomeContext,
  provider: string,
  options: { field: string; connection?: string },
): Promise<DaemonField | null> {
  if (options.field !== "access_token" && options.field !== "api_key") return null;
  if (!(await mayRun(ctx))) return null;
  const { requestToken } = await import("./connect.ts");
  const served = await requestToken(ctx, provider, options.connection, options.field);
  if (!served) return null;
  const wanted = options.field === "api_key" ? "api_key" : "oauth2";
  return {
    value: served.auth_type === wanted ? served.token : null,
    ...(served.warning ? { warning: served.warning } : {}),
  };
}

/**
 * For `export`: the variables from a running daemon (which audits each with `via: "daemon"`),
 * or null when the caller must build them from the vault itself.
 */
export async function daemonExport(
  ctx: AuthsomeContext,
  provider: string | undefined,
  options: { connection?: string; format: string; onWarning?: (message: string) => void },
): Promise<ExportEntry[] | null> {
  if (!(await mayRun(ctx))) return null;
  const { requestExport } = await import("./connect.ts");
  const served = await requestExport(ctx, provider, options);
  if (!served) return null;
  for (const warning of served.warnings) options.onWarning?.(warning);
  return served.variables.map((variable) => ({
    name: variable.name,
    value: new Secret(variable.value),
    provider: variable.provider,
    connection: variable.connection,
  }));
}
