/**
 * `authsome daemon serve|start|stop|status|unlock`: the local daemon (see `src/daemon/`).
 *
 * `unlock` (= `start --unlock`) puts the home in key mode `daemon` (docs/isolation.md): it asks
 * for the passphrase (creating a passphrase-sealed vault when there is none, and never a
 * `master.key`), checks it, and hands it to the new daemon on its standard input, never in its
 * environment or argv. A home in key mode `daemon` always starts its daemon this way.
 *
 * Exit codes: `serve` 0 after a graceful stop; `start` 0 when the daemon answers (also when it
 * was already running), 9 when it could not be started; `stop` 0 once no daemon runs (also
 * when none did); `status` 0 when the daemon runs and answers, 9 otherwise (so scripts can
 * write `authsome daemon status --quiet || authsome daemon start`).
 *
 * @module
 */
import {
  daemonHealth,
  type DaemonState,
  locateDaemon,
  lockHeld,
  removeDaemonFiles,
} from "../daemon/connect.ts";
import { daemonFiles } from "../daemon/client.ts";
import { DEFAULT_DAEMON_PORT, serveDaemon } from "../daemon/serve.ts";
import { createContext } from "../auth/context.ts";
import { initializeHome, setDaemonKeyMode } from "../auth/setup.ts";
import { DaemonUnavailableError, ExitCode, UsageError } from "../errors.ts";
import { isDaemonKeyMode, keyFromPassphrase, unlockProof } from "../vault/key_source.ts";
import { VERSION } from "../version.ts";
import { booleanFlag, type Invocation } from "./invocation.ts";
import { readPassphrase, withPassphrase } from "./passphrase.ts";

/** How long `start` waits for the new daemon to answer (a cold Deno start included). */
const START_TIMEOUT_MS = 20_000;
/** How long `stop` waits after SIGTERM before SIGKILL. */
const STOP_GRACE_MS = 5_000;
const POLL_MS = 50;

/** Runs `daemon <sub-command>`. */
export async function run(invocation: Invocation): Promise<number> {
  switch (invocation.parsed.path[1]) {
    case "serve":
      return await serve(invocation);
    case "start":
      return await start(invocation, booleanFlag(invocation, "unlock"));
    case "unlock":
      return await start(invocation, true);
    case "stop":
      return await stop(invocation);
    case "status":
      return await status(invocation);
  }
  throw new UsageError(`unknown daemon command "${invocation.parsed.path[1]}"`);
}

function portFlag(invocation: Invocation): number {
  const port = invocation.parsed.flags.port;
  return typeof port === "number" ? port : DEFAULT_DAEMON_PORT;
}

async function serve(invocation: Invocation): Promise<number> {
  const { ctx, out, platform } = invocation;
  let served = ctx;
  let proof: Uint8Array | null = null;
  if (booleanFlag(invocation, "unlock") || await isDaemonKeyMode(platform, ctx.paths)) {
    const passphrase = await readPassphrase(platform, ctx.paths.home, { stdin: true });
    proof = await unlockProof(await keyFromPassphrase(platform, ctx.paths, passphrase));
    served = createContext(withPassphrase(platform, passphrase), {
      home: ctx.paths.home,
      profile: ctx.profile,
      log: ctx.log,
      audit: ctx.audit,
    });
  }
  const daemon = await serveDaemon(served, {
    port: portFlag(invocation),
    version: VERSION,
    unlockProof: proof,
  });
  if (out.json) {
    out.jsonValue({ schema_version: 1, listening: true, pid: daemon.pid, port: daemon.port });
  }
  out.note(`authsome daemon listening on ${daemon.url} (pid ${daemon.pid}); Ctrl-C stops it`);
  await daemon.finished;
  out.note("authsome daemon stopped");
  return ExitCode.ok;
}

/** Asks for the passphrase, creating a passphrase-sealed vault if there is none yet. */
async function unlockHome(invocation: Invocation): Promise<string> {
  const { ctx, out, platform } = invocation;
  const exists = (await platform.fs.stat(ctx.paths.vault)) !== null;
  const passphrase = await readPassphrase(platform, ctx.paths.home, { confirm: !exists });
  if (exists) {
    await keyFromPassphrase(platform, ctx.paths, passphrase);
  } else {
    await initializeHome(createContext(withPassphrase(platform, passphrase), {
      home: ctx.paths.home,
      profile: ctx.profile,
      log: ctx.log,
      audit: ctx.audit,
    }));
    out.note(`Created ${ctx.paths.vault}, sealed with your passphrase (no master.key).`);
  }
  await setDaemonKeyMode(ctx);
  return passphrase;
}

async function start(invocation: Invocation, unlockFlag: boolean): Promise<number> {
  const { ctx, platform, parsed } = invocation;
  const fs = platform.fs;
  const files = daemonFiles(ctx.paths);
  const found = await locateDaemon(platform, files);
  if (found.state === "running" || found.state === "starting") {
    const health = found.state === "running" ? await daemonHealth(platform, found.endpoint) : null;
    if (!health) {
      throw new DaemonUnavailableError(
        `a daemon process${pidText(found)} holds ${files.lock} but does not answer`,
        { hint: "authsome daemon stop" },
      );
    }
    return report(invocation, "already running", health.pid, health.port);
  }
  const unlock = unlockFlag || await isDaemonKeyMode(platform, ctx.paths);
  await ctx.vault.ensureHome();
  const passphrase = unlock ? await unlockHome(invocation) : undefined;
  await fs.ensureDir(files.dir, 0o700);
  await fs.chmod(files.dir, 0o700);
  // Created here with 0600: the shell's `>>` would create it with the umask.
  await fs.appendFile(files.log, new Uint8Array(), { mode: 0o600 });
  await fs.chmod(files.log, 0o600);
  const logStart = (await fs.stat(files.log))?.size ?? 0;
  const command = [
    ...platform.selfCommand(),
    "daemon",
    "serve",
    "--port",
    String(portFlag(invocation)),
    "--profile",
    ctx.profile,
  ];
  if (parsed.global.logFile !== undefined) command.push("--log-file", parsed.global.logFile);
  let env: Record<string, string> | undefined;
  if (passphrase !== undefined) {
    command.push("--unlock");
    // The daemon's environment is readable by any same-user process (/proc/<pid>/environ).
    env = platform.envAll();
    delete env.AUTHSOME_PASSPHRASE;
    delete env.AUTHSOME_MASTER_KEY;
  }
  const child = platform.spawnDetached(command, {
    logPath: files.log,
    stdin: passphrase === undefined ? undefined : `${passphrase}\n`,
    env,
  });
  let exitCode: number | null = null;
  child.exited.then((code) => exitCode = code, () => exitCode = -1);
  const deadline = platform.clock.now() + START_TIMEOUT_MS;
  while (platform.clock.now() < deadline) {
    if (exitCode !== null) {
      const tail = await logTail(invocation, files.log, logStart);
      throw new DaemonUnavailableError(
        `the daemon exited while starting (exit ${exitCode})${tail ? `:\n${tail}` : ""}`,
        { hint: `cat ${files.log}` },
      );
    }
    const state = await locateDaemon(platform, files);
    if (state.state === "running") {
      const health = await daemonHealth(platform, state.endpoint);
      if (health?.pid === child.pid) return report(invocation, "started", health.pid, health.port);
    }
    await platform.clock.sleep(POLL_MS);
  }
  platform.signalProcess(child.pid, "SIGTERM");
  throw new DaemonUnavailableError(
    `the daemon did not answer within ${START_TIMEOUT_MS / 1000} s`,
    { hint: `cat ${files.log}` },
  );
}

function report(invocation: Invocation, what: string, pid: number, port: number): number {
  const url = `http://127.0.0.1:${port}/v1/`;
  const { out } = invocation;
  if (out.json) out.jsonValue({ schema_version: 1, running: true, pid, port, url });
  else out.line(`authsome daemon ${what} (pid ${pid}, port ${port})\n  ${url}`);
  return ExitCode.ok;
}

async function stop(invocation: Invocation): Promise<number> {
  const { ctx, out, platform } = invocation;
  const files = daemonFiles(ctx.paths);
  const found = await locateDaemon(platform, files);
  const pid = found.state === "running"
    ? found.endpoint.pid
    : found.state === "starting"
    ? found.pid
    : null;
  if (found.state === "absent" || found.state === "stale") {
    if (out.json) out.jsonValue({ schema_version: 1, running: false, stopped: false });
    else out.line(notRunningText(found));
    return ExitCode.ok;
  }
  if (pid === null) {
    throw new DaemonUnavailableError(`a daemon holds ${files.lock} but ${files.pid} is missing`, {
      hint: `fuser ${files.lock}   # shows the process holding it`,
    });
  }
  if (!platform.signalProcess(pid, "SIGTERM") && !(await released(invocation, 0))) {
    throw new DaemonUnavailableError(
      `process ${pid} named in ${files.pid} is gone, yet ${files.lock} is still held`,
      { hint: `fuser ${files.lock}   # shows the process holding it` },
    );
  }
  let forced = false;
  if (!(await released(invocation, STOP_GRACE_MS))) {
    forced = true;
    platform.signalProcess(pid, "SIGKILL");
    if (!(await released(invocation, 2_000))) {
      throw new DaemonUnavailableError(`the daemon (pid ${pid}) does not stop`, {
        hint: `kill -9 ${pid}`,
      });
    }
    // A killed daemon could not remove its files or audit its end.
    await removeDaemonFiles(platform, files);
    await ctx.audit.append({ event: "daemon_stop", status: "success", pid, forced: true });
  }
  if (out.json) out.jsonValue({ schema_version: 1, running: false, stopped: true, pid, forced });
  else out.line(`authsome daemon stopped (pid ${pid}${forced ? ", killed after 5 s" : ""})`);
  return ExitCode.ok;
}

/** Waits until no process holds the daemon lock; false on timeout. */
async function released(invocation: Invocation, timeoutMs: number): Promise<boolean> {
  const { platform, ctx } = invocation;
  const deadline = platform.clock.now() + timeoutMs;
  const lock = daemonFiles(ctx.paths).lock;
  while (await lockHeld(platform, lock)) {
    if (platform.clock.now() >= deadline) return false;
    await platform.clock.sleep(POLL_MS);
  }
  return true;
}

async function status(invocation: Invocation): Promise<number> {
  const { ctx, out, platform } = invocation;
  const found = await locateDaemon(platform, daemonFiles(ctx.paths));
  const health = found.state === "running" ? await daemonHealth(platform, found.endpoint) : null;
  if (health) {
    const url = `http://127.0.0.1:${health.port}/v1/`;
    if (out.json) {
      out.jsonValue({
        schema_version: 1,
        running: true,
        pid: health.pid,
        port: health.port,
        url,
        version: health.version,
        profile: health.profile,
        started_at: health.started_at,
        uptime_seconds: health.uptime_seconds,
      });
    } else {
      out.result(`authsome daemon is running
  pid:     ${health.pid}
  port:    ${health.port}
  url:     ${url}
  uptime:  ${duration(health.uptime_seconds)} (since ${health.started_at})
  version: ${health.version}`);
    }
    return ExitCode.ok;
  }
  const state = found.state === "running" ? "not_responding" : found.state;
  const message = notRunningText(found);
  if (out.json) {
    out.jsonValue({
      schema_version: 1,
      running: false,
      state,
      error: "daemon_unavailable",
      message,
    });
  } else {
    out.result(message);
    if (state === "absent" || state === "stale") out.note("Start it with: authsome daemon start");
  }
  return ExitCode.daemonUnavailable;
}

function pidText(found: DaemonState): string {
  const pid = found.state === "running"
    ? found.endpoint.pid
    : found.state === "starting"
    ? found.pid
    : null;
  return pid === null ? "" : ` (pid ${pid})`;
}

function notRunningText(found: DaemonState): string {
  switch (found.state) {
    case "absent":
      return "authsome daemon is not running";
    case "stale":
      return "authsome daemon is not running (removed the files left by a daemon that died)";
    case "starting":
      return `authsome daemon${pidText(found)} is starting`;
    case "running":
      return `authsome daemon${pidText(found)} does not answer`;
  }
}

async function logTail(invocation: Invocation, path: string, from: number): Promise<string> {
  const data = await invocation.platform.fs.readFile(path);
  if (!data) return "";
  const text = new TextDecoder().decode(data.subarray(from)).trim();
  return text.split("\n").slice(-5).join("\n");
}

/** `42s`, `3m 12s`, `2h 5m`, `1d 3h`. */
function duration(seconds: number): string {
  const d = Math.floor(seconds / 86400);
  const h = Math.floor((seconds % 86400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = Math.floor(seconds % 60);
  if (d > 0) return `${d}d ${h}h`;
  if (h > 0) return `${h}h ${m}m`;
  if (m > 0) return `${m}m ${s}s`;
  return `${s}s`;
}
