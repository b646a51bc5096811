/**
 * The daemon on a real socket (port 0) in this process: loopback-only binding, the state files
 * and their modes, the client (discovery, stale files, fallback, errors) and a clean stop.
 */
import assert from "node:assert/strict";
import { daemonExport, daemonField, daemonFiles } from "../../src/daemon/client.ts";
import { callDaemon, locateDaemon, requestToken } from "../../src/daemon/connect.ts";
import { encodeRequest, parseResponse } from "../../src/daemon/http1.ts";
import { serveDaemon } from "../../src/daemon/serve.ts";
import { DaemonUnavailableError, ProviderNotFoundError, UsageError } from "../../src/errors.ts";
import { keyConnection, store, testContext } from "../auth/_context.ts";

const KEY = "sk-servetest0123456789abcdefghijkl";

function mode(path: string): number {
  return Deno.statSync(path).mode! & 0o777;
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

Deno.test("the daemon refuses to listen anywhere but 127.0.0.1", async () => {
  await using t = await testContext();
  for (const hostname of ["0.0.0.0", "::", "localhost", "::1", "192.168.1.10", ""]) {
    await assert.rejects(
      () => serveDaemon(t.ctx, { port: 0, hostname, version: "test" }),
      UsageError,
      hostname,
    );
  }
  assert.ok(!exists(daemonFiles(t.ctx.paths).port));
  for (const port of [-1, 65536, 1.5, NaN]) {
    await assert.rejects(() => serveDaemon(t.ctx, { port, version: "test" }), UsageError);
  }
});

Deno.test("serve writes 0600 files, answers only on loopback, and removes them on stop", async () => {
  await using t = await testContext();
  await store(t.ctx, keyConnection("openai", "default", KEY));
  const files = daemonFiles(t.ctx.paths);
  const daemon = await serveDaemon(t.ctx, { port: 0, version: "test" });
  try {
    assert.ok(daemon.port > 0);
    assert.equal(mode(files.dir), 0o700);
    for (const path of [files.port, files.pid, files.token]) assert.equal(mode(path), 0o600, path);
    assert.equal(Deno.readTextFileSync(files.port).trim(), String(daemon.port));
    assert.equal(Deno.readTextFileSync(files.pid).trim(), String(t.platform.pid));
    assert.match(Deno.readTextFileSync(files.token).trim(), /^[A-Za-z0-9_-]{43}$/);

    const found = await locateDaemon(t.platform, files);
    assert.equal(found.state, "running");
    if (found.state !== "running") return;
    const health = await callDaemon(t.platform, found.endpoint, {
      method: "GET",
      path: "/v1/health",
      timeoutMs: 2_000,
    });
    assert.equal(health.status, 200);
    // A request naming another host (DNS rebinding) is refused even with the right token.
    const rebinding = new TextDecoder().decode(encodeRequest({
      method: "GET",
      path: "/v1/health",
      port: daemon.port,
      token: found.endpoint.token,
    })).replace(`Host: 127.0.0.1:${daemon.port}`, `Host: attacker.example:${daemon.port}`);
    const reply = parseResponse(
      await t.platform.loopbackRequest(daemon.port, new TextEncoder().encode(rebinding), 2_000),
    );
    assert.equal(reply.status, 403);

    // Nothing listens on the machine's other addresses.
    for (const address of nonLoopbackAddresses()) {
      await assert.rejects(
        () => Deno.connect({ hostname: address, port: daemon.port }),
        Deno.errors.ConnectionRefused,
        address,
      );
    }
  } finally {
    await daemon.stop();
  }
  await daemon.finished;
  for (const path of [files.port, files.pid, files.token]) assert.ok(!exists(path), path);
  assert.equal((await locateDaemon(t.platform, files)).state, "absent");
  const audit = Deno.readTextFileSync(`${t.home}/audit.log`).trim().split("\n").map((l) =>
    JSON.parse(l)
  );
  assert.deepEqual(audit.map((e) => e.event), ["daemon_start", "daemon_stop"]);
  assert.equal(audit[0].port, daemon.port);
});

function nonLoopbackAddresses(): string[] {
  return Deno.networkInterfaces()
    .filter((i) => i.family === "IPv4" && !i.address.startsWith("127."))
    .map((i) => i.address);
}

Deno.test("get and export go through a running daemon, audited via daemon", async () => {
  await using t = await testContext();
  await store(t.ctx, keyConnection("openai", "default", KEY));
  const daemon = await serveDaemon(t.ctx, { port: 0, version: "test" });
  try {
    assert.deepEqual(
      await daemonField(t.ctx, "openai", { field: "api_key" }),
      { value: KEY },
    );
    // The other kind of credential is empty, as `get --field access_token` prints for a key.
    assert.deepEqual(await daemonField(t.ctx, "openai", { field: "access_token" }), {
      value: null,
    });
    // Fields the daemon does not serve are left to the vault.
    assert.equal(await daemonField(t.ctx, "openai", { field: "refresh_token" }), null);
    const entries = await daemonExport(t.ctx, "openai", { format: "env" });
    assert.equal(entries?.length, 1);
    assert.equal(entries![0].name, "OPENAI_API_KEY");
    assert.equal(entries![0].value.reveal(), KEY);
    // Request errors are the CLI's errors, not a fallback.
    await assert.rejects(() => requestToken(t.ctx, "no-such", undefined), ProviderNotFoundError);
  } finally {
    await daemon.stop();
  }
  const entries = Deno.readTextFileSync(`${t.home}/audit.log`).trim().split("\n").map((l) =>
    JSON.parse(l)
  );
  const served = entries.filter((e) => e.event === "get" || e.event === "export");
  assert.equal(served.length, 3);
  assert.ok(served.every((e) => e.via === "daemon"));
});

Deno.test("stale files are removed and the client falls back to the vault", async () => {
  await using t = await testContext();
  const files = daemonFiles(t.ctx.paths);
  assert.equal(await daemonField(t.ctx, "openai", { field: "api_key" }), null, "no daemon dir");
  Deno.mkdirSync(files.dir, { recursive: true, mode: 0o700 });
  Deno.writeTextFileSync(files.port, "7998\n", { mode: 0o600 });
  Deno.writeTextFileSync(files.pid, "999999\n", { mode: 0o600 });
  Deno.writeTextFileSync(files.token, "stale\n", { mode: 0o600 });
  assert.equal(await daemonField(t.ctx, "openai", { field: "api_key" }), null);
  for (const path of [files.port, files.pid, files.token]) assert.ok(!exists(path), path);
  assert.equal((await locateDaemon(t.platform, files)).state, "absent");
});

Deno.test("a daemon that refuses our token is skipped, not trusted", async () => {
  await using t = await testContext();
  await store(t.ctx, keyConnection("openai", "default", KEY));
  const files = daemonFiles(t.ctx.paths);
  const daemon = await serveDaemon(t.ctx, { port: 0, version: "test" });
  try {
    Deno.writeTextFileSync(files.token, "not-the-token\n");
    assert.equal(await daemonField(t.ctx, "openai", { field: "api_key" }), null);
  } finally {
    await daemon.stop();
  }
});

Deno.test("one daemon per home; a taken port is a clear error", async () => {
  await using t = await testContext();
  await using other = await testContext();
  const daemon = await serveDaemon(t.ctx, { port: 0, version: "test" });
  try {
    await assert.rejects(
      () => serveDaemon(t.ctx, { port: 0, version: "test" }),
      /already running/,
    );
    await assert.rejects(
      () => serveDaemon(other.ctx, { port: daemon.port, version: "test" }),
      (error) => error instanceof DaemonUnavailableError && /already in use/.test(error.message),
    );
    const otherFiles = daemonFiles(other.ctx.paths);
    assert.ok(!exists(otherFiles.port));
    assert.equal((await locateDaemon(other.platform, otherFiles)).state, "absent");
  } finally {
    await daemon.stop();
  }
});
