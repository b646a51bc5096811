/**
 * The daemon through the real CLI: `daemon start` in the background, `status`, `get` and
 * `export` served by it (the audit log says `via: "daemon"`), `daemon stop`, stale files, and a
 * start that fails because the port is taken.
 */
import assert from "node:assert/strict";
import {
  type CliResult,
  expectExit,
  openaiKey,
  randomMasterKey,
  readTree,
  show,
  stdoutJson,
  type TestHome,
  withHome,
} from "./_helpers.ts";

interface Status {
  running: boolean;
  pid?: number;
  port?: number;
  state?: string;
  uptime_seconds?: number;
}

function audit(home: TestHome): Record<string, unknown>[] {
  return Deno.readTextFileSync(home.path("audit.log")).trim().split("\n").map((l) => JSON.parse(l));
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

/** Waits up to 3 s for a process to end (a zombie waiting for its reaper counts as ended). */
async function exited(pid: number): Promise<boolean> {
  for (let i = 0; i < 60; i++) {
    try {
      if (Deno.build.os !== "linux") Deno.kill(pid, "SIGCONT");
      else if (/^\d+ \(.*\) Z/.test(Deno.readTextFileSync(`/proc/${pid}/stat`))) return true;
    } catch {
      return true;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return false;
}

/** Kills a daemon a failed test left behind. */
function killLeftover(home: TestHome): void {
  try {
    const pid = Number(Deno.readTextFileSync(home.path("daemon/pid")).trim());
    if (pid > 0) Deno.kill(pid, "SIGKILL");
  } catch {
    // No daemon left.
  }
}

async function withLoggedInHome(
  fn: (home: TestHome, env: Record<string, string>, key: string) => Promise<void>,
) {
  await withHome(async (home) => {
    const env = { AUTHSOME_MASTER_KEY: randomMasterKey() };
    const key = openaiKey();
    await home.ok(["login", "openai"], { env: { ...env, OPENAI_API_KEY: key } });
    try {
      await fn(home, env, key);
    } finally {
      killLeftover(home);
    }
  });
}

Deno.test("daemon start, status, a second start, stop, status", async () => {
  await withLoggedInHome(async (home, env) => {
    const before = await home.run(["daemon", "status", "--json"], { env });
    expectExit(before, 9, "status before start");
    assert.equal(stdoutJson<Status>(before).running, false);

    const started = await home.ok(["daemon", "start", "--port", "0", "--json"], { env });
    const { pid, port } = stdoutJson<Status>(started);
    assert.ok(pid && pid > 0 && port && port > 0, show(started));
    for (const name of ["port", "pid", "token"]) {
      assert.equal(Deno.statSync(home.path(`daemon/${name}`)).mode! & 0o777, 0o600, name);
    }

    const status = stdoutJson<Status>(await home.ok(["daemon", "status", "--json"], { env }));
    assert.equal(status.running, true);
    assert.equal(status.pid, pid);
    assert.equal(status.port, port);
    const human = await home.ok(["daemon", "status"], { env });
    assert.match(human.stdout, new RegExp(`running[\\s\\S]*pid: +${pid}[\\s\\S]*port: +${port}`));

    const again = stdoutJson<Status>(await home.ok(["daemon", "start", "--json"], { env }));
    assert.equal(again.pid, pid, "a second start reports the running daemon");

    const stopped = await home.ok(["daemon", "stop"], { env });
    assert.match(stopped.stdout, new RegExp(`stopped \\(pid ${pid}\\)`));
    const after = await home.run(["daemon", "status", "--json"], { env });
    expectExit(after, 9, "status after stop");
    assert.equal(stdoutJson<Status>(after).running, false);
    for (const name of ["port", "pid", "token"]) assert.ok(!exists(home.path(`daemon/${name}`)));
    assert.ok(await exited(pid), `process ${pid} still runs after daemon stop`);
    const lifecycle = audit(home).filter((e) => String(e.event).startsWith("daemon_"));
    assert.deepEqual(lifecycle.map((e) => [e.event, e.pid]), [
      ["daemon_start", pid],
      ["daemon_stop", pid],
    ]);
    const idle = await home.ok(["daemon", "stop"], { env });
    assert.match(idle.stdout, /not running/);
  });
});

Deno.test("get and export go through a running daemon, and read the vault without one", async () => {
  await withLoggedInHome(async (home, env, key) => {
    await home.ok(["daemon", "start", "--port", "0"], { env });
    const got = await home.ok(["get", "openai", "--field", "api_key"], { env });
    assert.equal(got.stdout.trim(), key);
    const exported = await home.ok(["export", "openai"], { env });
    assert.equal(exported.stdout.trim(), `OPENAI_API_KEY=${key}`);
    const served = audit(home).filter((e) => e.event === "get" || e.event === "export");
    assert.deepEqual(served.map((e) => [e.event, e.field ?? e.format, e.via]), [
      ["get", "api_key", "daemon"],
      ["export", "env", "daemon"],
    ]);
    // Neither the credential nor the daemon's bearer token lands in any other file.
    const bearer = Deno.readTextFileSync(home.path("daemon/token")).trim();
    for (const [path, bytes] of await readTree(home.home)) {
      const text = new TextDecoder().decode(bytes);
      if (!path.endsWith("/vault.enc")) assert.ok(!text.includes(key), `${path} holds the key`);
      if (!path.endsWith("/daemon/token")) assert.ok(!text.includes(bearer), `${path}: token`);
    }
    // A secret the connection does not hold is an error here too, not the daemon's empty answer.
    const wrong = await home.run(["get", "openai", "--field", "access_token"], { env });
    expectExit(wrong, 5, "get --field access_token of an API key via the daemon");
    assert.equal(wrong.stdout, "");
    assert.match(wrong.stderr, /no access_token; it has: api_key/);
    await home.ok(["daemon", "stop"], { env });

    const direct = await home.ok(["get", "openai", "--field", "api_key"], { env });
    assert.equal(direct.stdout.trim(), key);
    assert.equal(audit(home).at(-1)?.via, undefined, "no daemon: read directly");

    // A stale port file is noticed by get itself, removed, and the vault read directly.
    plantStale(home);
    const stale = await home.ok(["get", "openai", "--field", "api_key"], { env });
    assert.equal(stale.stdout.trim(), key);
    expectCleaned(home, stale);
  });
});

function plantStale(home: TestHome): void {
  Deno.mkdirSync(home.path("daemon"), { recursive: true, mode: 0o700 });
  Deno.writeTextFileSync(home.path("daemon/port"), "7998\n", { mode: 0o600 });
  Deno.writeTextFileSync(home.path("daemon/pid"), "999999\n", { mode: 0o600 });
  Deno.writeTextFileSync(home.path("daemon/token"), "stale-token\n", { mode: 0o600 });
}

function expectCleaned(home: TestHome, result: CliResult): void {
  for (const name of ["port", "pid", "token"]) {
    assert.ok(!exists(home.path(`daemon/${name}`)), `daemon/${name} left behind\n${show(result)}`);
  }
}

Deno.test("status and stop detect stale port and pid files and clean them up", async () => {
  await withLoggedInHome(async (home, env) => {
    plantStale(home);
    const status = await home.run(["daemon", "status", "--json"], { env });
    expectExit(status, 9, "status with stale files");
    assert.equal(stdoutJson<Status>(status).state, "stale");
    expectCleaned(home, status);

    plantStale(home);
    const stopped = await home.ok(["daemon", "stop"], { env });
    assert.match(stopped.stdout, /not running/);
    expectCleaned(home, stopped);
  });
});

Deno.test("daemon start on a taken port fails with exit 9 and says why", async () => {
  await withLoggedInHome(async (home, env) => {
    using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = (listener.addr as Deno.NetAddr).port;
    const result = await home.run(["daemon", "start", "--port", String(port)], { env });
    expectExit(result, 9, "start on a taken port");
    assert.match(result.stderr, /already in use/);
    expectCleaned(home, result);
  });
});
