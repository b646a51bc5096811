/**
 * Honest status everywhere: `list`, `whoami` and `doctor` report `invalid` and `expired`
 * connections (made so by real refresh failures against the fake server) with the exact
 * command that fixes each one, and that command fixes just that connection.
 */
import assert from "node:assert/strict";
import { startFakeAuthServer } from "../_fakes/oauth_server.ts";
import { tempHome } from "../_fakes/platform.ts";
import { runCli } from "./_cli.ts";
import { fromNow, oauthEnv, seedConnection, writeProvider } from "./_oauth_setup.ts";

/**
 * fakehub with three connections: `default` healthy, `work` rejected by the provider
 * (`invalid`), `ci` unreachable provider (`expired`).
 */
async function threeConnections() {
  const dir = await tempHome();
  await Deno.mkdir(dir.home, { mode: 0o700 });
  const server = await startFakeAuthServer();
  await writeProvider(dir.home, server.url);
  server.seedGrant({ refreshToken: "rt-work", clientId: "authsome-test" });
  server.seedGrant({ refreshToken: "rt-ci", clientId: "authsome-test" });
  for (const connection of ["work", "ci"]) {
    await seedConnection(dir.home, {
      connection,
      accessToken: `at-${connection}`,
      refreshToken: `rt-${connection}`,
      expiresAt: fromNow(-60),
    });
  }
  // Seeded last, so it is the provider's default connection.
  await seedConnection(dir.home, {
    accessToken: "at-default",
    refreshToken: "rt-default",
    expiresAt: fromNow(3600),
  });
  const cli = (args: string[], extra: Record<string, string> = {}) =>
    runCli(args, { home: dir.home, env: oauthEnv(extra) });
  server.faults.push("/token", { oauthError: "invalid_grant" });
  assert.equal((await cli(["get", "fakehub", "--connection", "work"])).code, 6);
  server.faults.push("/token", { status: 503 });
  assert.equal((await cli(["get", "fakehub", "--connection", "ci"])).code, 6);
  return {
    server,
    cli,
    async [Symbol.asyncDispose]() {
      await server.close();
      await dir[Symbol.asyncDispose]();
    },
  };
}

const WORK_FIX = "authsome login fakehub --connection work --force";
const CI_FIX = "authsome get fakehub --connection ci --field status";

Deno.test("a rejected named connection's error says login --force for it, not revoke of all", async () => {
  await using t = await threeConnections();
  const again = await t.cli(["get", "fakehub", "--connection", "work"]);
  assert.equal(again.code, 6);
  assert.match(again.stderr, /^Error: refresh failed for fakehub \(work\): invalid_grant\n/);
  assert.match(again.stderr, new RegExp(`^  ${WORK_FIX}$`, "m"));
  assert.doesNotMatch(again.stderr, /authsome revoke/);
  // The status read still prints the value; --quiet drops the warning, never the value.
  const status = await t.cli(["get", "fakehub", "--connection", "work", "--field", "status"]);
  assert.equal(status.stdout, "invalid\n");
  assert.match(status.stderr, /^Warning: refresh failed for fakehub \(work\): invalid_grant/);
  const quiet = await t.cli([
    "get",
    "fakehub",
    "--connection",
    "work",
    "--field",
    "status",
    "--quiet",
  ]);
  assert.equal(quiet.stdout, "invalid\n");
  assert.equal(quiet.stderr, "");
});

Deno.test("list shows each bad connection's status and, below the table, its fix", async () => {
  await using t = await threeConnections();
  const list = await t.cli(["list"]);
  assert.equal(list.code, 0, list.stderr);
  assert.match(list.stdout, /\[fakehub\].*\bwork\s+invalid/);
  assert.match(list.stdout, /\[fakehub\].*\bci\s+expired/);
  assert.ok(
    list.stdout.endsWith(
      "\n2 connections need attention:\n" +
        "  fakehub (ci) is expired (HTTP 503 from token endpoint)\n" +
        `    fix: ${CI_FIX}\n` +
        "  fakehub (work) is invalid (invalid_grant)\n" +
        `    fix: ${WORK_FIX}\n`,
    ),
    list.stdout,
  );
  // --quiet drops chatter, never the result the user asked for.
  assert.equal((await t.cli(["list", "--quiet"])).stdout, list.stdout);
  const json = JSON.parse((await t.cli(["list", "--json"])).stdout);
  const fakehub = json.providers.find((p: { name: string }) => p.name === "fakehub");
  const fixes = Object.fromEntries(
    fakehub.connections.map((c: { connection_name: string; fix: string | null }) => [
      c.connection_name,
      c.fix,
    ]),
  );
  assert.deepEqual(fixes, { ci: CI_FIX, default: null, work: WORK_FIX });
});

Deno.test("whoami counts connections by status and names the fix for each bad one", async () => {
  await using t = await threeConnections();
  const who = await t.cli(["whoami"]);
  assert.equal(who.code, 0, who.stderr);
  assert.match(who.stdout, /^Connections:\s+3 \(1 connected, 1 expired, 1 invalid\)$/m);
  assert.match(who.stdout, new RegExp(`fakehub \\(work\\) is invalid.*\\n    fix: ${WORK_FIX}\\n`));
  assert.match(who.stdout, new RegExp(`fakehub \\(ci\\) is expired.*\\n    fix: ${CI_FIX}\\n`));
  const json = JSON.parse((await t.cli(["whoami", "--json"])).stdout);
  assert.deepEqual(json.connections, { total: 3, connected: 1, expired: 1, invalid: 1 });
  assert.deepEqual(json.needs_attention, [
    {
      provider: "fakehub",
      connection: "ci",
      status: "expired",
      reason: "HTTP 503 from token endpoint",
      fix: CI_FIX,
    },
    {
      provider: "fakehub",
      connection: "work",
      status: "invalid",
      reason: "invalid_grant",
      fix: WORK_FIX,
    },
  ]);
});

Deno.test("doctor fails for an invalid connection and warns for an expired one, each with its fix", async () => {
  await using t = await threeConnections();
  const doctor = await t.cli(["doctor"]);
  assert.equal(doctor.code, 1, doctor.stdout);
  assert.match(doctor.stdout, /^FAIL connections +fakehub \(work\) is invalid \(invalid_grant\)$/m);
  assert.match(doctor.stdout, new RegExp(`^ +fix: ${WORK_FIX}$`, "m"));
  assert.match(doctor.stdout, /^WARN connections +fakehub \(ci\) is expired/m);
  assert.match(doctor.stdout, new RegExp(`^ +fix: ${CI_FIX}$`, "m"));
  assert.match(doctor.stdout, /1 problem\(s\) and 1 warning\(s\) found\./);
  // --quiet keeps the problems (the result) and drops the passing rows.
  const quiet = await t.cli(["doctor", "--quiet"]);
  assert.equal(quiet.code, 1);
  assert.match(quiet.stdout, /FAIL connections/);
  assert.match(quiet.stdout, /WARN connections/);
  assert.doesNotMatch(quiet.stdout, /^OK/m);
  const json = JSON.parse((await t.cli(["doctor", "--json"])).stdout);
  assert.equal(json.ok, false);
  const rows = json.checks.filter((c: { name: string }) => c.name === "connections");
  assert.deepEqual(
    rows.map((r: { ok: boolean; warning?: boolean; hint: string }) => [r.ok, r.warning, r.hint]),
    [
      [true, true, CI_FIX],
      [false, undefined, WORK_FIX],
    ],
  );
});

Deno.test("the printed fixes work: login --force fixes work alone, the retry recovers ci", async () => {
  await using t = await threeConnections();
  const login = await t.cli(["login", "fakehub", "--connection", "work", "--force", "--port", "0"]);
  assert.equal(login.code, 0, login.stderr);
  const retry = await t.cli(["get", "fakehub", "--connection", "ci", "--field", "status"]);
  assert.equal(retry.stdout, "connected\n", retry.stderr);
  const doctor = await t.cli(["doctor"]);
  assert.equal(doctor.code, 0, doctor.stdout);
  assert.match(doctor.stdout, /^OK {3}connections +3 connected$/m);
  const statuses = JSON.parse((await t.cli(["list", "--json"])).stdout).providers
    .find((p: { name: string }) => p.name === "fakehub").connections
    .map((c: { connection_name: string; status: string }) => `${c.connection_name}=${c.status}`);
  assert.deepEqual(statuses.sort(), ["ci=connected", "default=connected", "work=connected"]);
  assert.doesNotMatch((await t.cli(["list"])).stdout, /need(s)? attention/);
});
