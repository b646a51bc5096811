/**
 * Agent isolation end to end (docs/isolation.md): a home in key mode `daemon` (no master.key,
 * the key in the daemon's memory only) and `run --grant` children that hold only a scoped,
 * expiring, revocable grant. Real processes throughout: the CLI, the detached daemon, curl in
 * the child, HTTPS upstreams on 127.0.0.2 and 127.0.0.3.
 */
import assert from "node:assert/strict";
import { tempHome } from "../_fakes/platform.ts";
import { CLI, readTree, runCli } from "./_cli.ts";
import { httpsUpstream } from "./_https_upstream.ts";

const PASSPHRASE = "isolation-passphrase-4e1d9c";
const KEY = "lk-isolated-secret-0123456789abcdef";
const OTHER_KEY = "ok-other-secret-0123456789abcdef";

/** An HTTPS server on `host` that echoes the auth header it received. */
function upstream(host: string) {
  return httpsUpstream(host, (req) => ({
    key: req.headers.get("x-api-key"),
    method: req.method,
    path: new URL(req.url).pathname,
  }));
}

function provider(name: string, host: string, port: number) {
  return JSON.stringify({
    schema_version: 1,
    name,
    display_name: name,
    auth_type: "api_key",
    flow: "api_key",
    api_key: { header_name: "X-Api-Key", header_prefix: "", env_var: `${name.toUpperCase()}_KEY` },
    host_url: `https://${host}:${port}`,
    export: { env: { api_key: `${name.toUpperCase()}_KEY` } },
  });
}

async function setUp() {
  const dir = await tempHome();
  const routed = await upstream("127.0.0.2");
  const other = await upstream("127.0.0.3");
  const work = `${dir.home}/../work`;
  await Deno.mkdir(work, { recursive: true });
  await Deno.writeTextFile(`${work}/upstream-ca.pem`, routed.caPem + other.caPem);
  await Deno.writeTextFile(`${work}/localapi.json`, provider("localapi", "127.0.0.2", routed.port));
  await Deno.writeTextFile(`${work}/otherapi.json`, provider("otherapi", "127.0.0.3", other.port));
  const env = { DENO_CERT: `${work}/upstream-ca.pem`, TMPDIR: work };
  const cli = (args: string[], extra: Record<string, string> = {}) =>
    runCli(args, { home: dir.home, env: { ...env, ...extra } });
  const unlocked = await cli(["daemon", "unlock", "--port", "0"], {
    AUTHSOME_PASSPHRASE: PASSPHRASE,
  });
  assert.equal(unlocked.code, 0, unlocked.stderr);
  for (const name of ["localapi", "otherapi"]) {
    assert.equal((await cli(["register", `${work}/${name}.json`])).code, 0);
  }
  const withPass = { AUTHSOME_PASSPHRASE: PASSPHRASE };
  const login1 = await cli(["login", "localapi"], { ...withPass, LOCALAPI_KEY: KEY });
  assert.equal(login1.code, 0, login1.stderr);
  const login2 = await cli(["login", "otherapi"], { ...withPass, OTHERAPI_KEY: OTHER_KEY });
  assert.equal(login2.code, 0, login2.stderr);
  return {
    home: dir.home,
    work,
    routed,
    other,
    cli,
    /** `run --grant ...` with the passphrase (as a test stands in for the terminal prompt). */
    grantRun: (args: string[], script: string) =>
      cli(["run", ...args, "--", "sh", "-c", script], withPass),
    audit: async () =>
      (await Deno.readTextFile(`${dir.home}/audit.log`)).trim().split("\n").map((line) =>
        JSON.parse(line)
      ),
    async [Symbol.asyncDispose]() {
      await cli(["daemon", "stop"]);
      await routed.server.shutdown();
      await other.server.shutdown();
      await dir[Symbol.asyncDispose]();
    },
  };
}

/** Child-side shell helpers: the daemon's port and admin token, read the way an agent would. */
const DAEMON = 'DP=$(cat "$AUTHSOME_HOME/daemon/port"); ' +
  'daemon() { curl -s --noproxy "*" -w " %{http_code}" -H "Authorization: Bearer $1" ' +
  '-H "Content-Type: application/json" -d "$3" "http://127.0.0.1:$DP$2"; echo; }; ';

Deno.test("isolation: a run --grant child gets only what its grant allows, and neither the key nor a usable admin token", async () => {
  await using t = await setUp();
  const a = `https://127.0.0.2:${t.routed.port}`;
  const b = `https://127.0.0.3:${t.other.port}`;
  const script = DAEMON +
    `curl -sS ${a}/allowed; echo; ` +
    `curl -sS -o /dev/null -w "%{http_code}\\n" -X POST ${a}/post; ` +
    `curl -sS --cacert ${t.work}/upstream-ca.pem ${b}/other; echo; ` +
    `test -e "$AUTHSOME_HOME/master.key" && echo "master.key present" || echo "no master.key"; ` +
    `ADMIN=$(cat "$AUTHSOME_HOME/daemon/token"); ` +
    `daemon "$ADMIN" /v1/token '{"provider":"localapi"}'; ` +
    `daemon "$ADMIN" /v1/export '{}'; ` +
    `daemon "$ADMIN" /v1/grants '{"name":"mine","providers":["localapi","otherapi"]}'; ` +
    `G=\${HTTPS_PROXY#http://*:}; G=\${G%@*}; ` +
    `daemon "$G" /v1/token '{"provider":"localapi"}'; ` +
    `env > ${t.work}/child-env; cat /proc/$(cat "$AUTHSOME_HOME/daemon/pid")/environ > ${t.work}/daemon-env`;
  const out = await t.grantRun(
    ["--grant", "agent-1", "--provider", "localapi", "--host", "127.0.0.2", "--method", "GET"],
    script,
  );
  assert.equal(out.code, 0, out.stderr);
  const lines = out.stdout.trim().split("\n");
  // The allowed host and method: the key is injected on the way out.
  assert.deepEqual(JSON.parse(lines[0]), { key: KEY, method: "GET", path: "/allowed" });
  // Another method: the grant's proxy refuses; the upstream never sees a credential.
  assert.equal(lines[1], "403");
  // Another provider's host: not routed for this grant, so nothing is injected.
  assert.deepEqual(JSON.parse(lines[2]), { key: null, method: "GET", path: "/other" });
  assert.equal(lines[3], "no master.key");
  // The admin token (readable by the same user) opens neither the vault nor new grants.
  assert.match(lines[4], / 403$/);
  assert.match(lines[5], / 403$/);
  assert.match(lines[6], / 403$/);
  // The grant limits methods and hosts, so the daemon does not hand out its raw token either.
  assert.match(lines[7], /"error":"grant_denied".* 403$/);
  for (const line of lines) assert.ok(!line.includes(KEY) || line === lines[0], line);
  const childEnv = await Deno.readTextFile(`${t.work}/child-env`);
  const daemonEnv = await Deno.readTextFile(`${t.work}/daemon-env`);
  for (const secret of [PASSPHRASE, KEY, OTHER_KEY]) {
    assert.ok(!childEnv.includes(secret), "the child's environment holds no secret");
    assert.ok(!daemonEnv.includes(secret), "the daemon's environment holds no secret");
  }
  assert.match(childEnv, /HTTPS_PROXY=http:\/\/agent-1:[A-Za-z0-9_-]{43}@127\.0\.0\.1:\d+/);
  // Nothing under the home (logs, daemon files, audit, config) but the sealed vault holds the
  // passphrase, a key or the grant's token.
  const grantToken = /HTTPS_PROXY=http:\/\/agent-1:([A-Za-z0-9_-]{43})@/.exec(childEnv)![1];
  for (const [path, bytes] of await readTree(t.home)) {
    if (path === `${t.home}/vault.enc`) continue;
    const text = new TextDecoder().decode(bytes);
    for (const secret of [PASSPHRASE, KEY, OTHER_KEY, grantToken]) {
      assert.ok(!text.includes(secret), `${path} holds a secret`);
    }
  }
  // Every use is audited with the grant's name; the grant ends with the child.
  const audit = await t.audit();
  const uses = audit.filter((e) => e.grant === "agent-1").map((
    e,
  ) => [e.event, e.status, e.method ?? null]);
  assert.deepEqual(uses, [
    ["grant_create", "success", null],
    ["grant_use", "success", "GET"],
    ["grant_use", "failure", "POST"],
    ["get", "failure", null],
    ["grant_revoke", "success", null],
    ["run", "success", null],
  ]);
  const list = await t.cli(["grant", "list", "--json"]);
  assert.deepEqual(JSON.parse(list.stdout).grants, []);
});

Deno.test("isolation: a grant without host or method limits also works at the daemon's token endpoint, for its providers only", async () => {
  await using t = await setUp();
  const script = DAEMON + `G=\${HTTPS_PROXY#http://*:}; G=\${G%@*}; ` +
    `daemon "$G" /v1/token '{"provider":"localapi"}'; ` +
    `daemon "$G" /v1/token '{"provider":"otherapi"}'; ` +
    `daemon "$G" /v1/connections ''`;
  const out = await t.grantRun(["--grant", "reader", "--provider", "localapi"], script);
  assert.equal(out.code, 0, out.stderr);
  const [own, other, listing] = out.stdout.trim().split("\n");
  assert.match(own, / 200$/);
  assert.equal(JSON.parse(own.replace(/ 200$/, "")).token, KEY);
  assert.match(other, /does not allow provider otherapi.* 403$/);
  assert.ok(!other.includes(OTHER_KEY));
  assert.match(listing, / 403$/);
  const gets = (await t.audit()).filter((e) => e.event === "get" && e.grant === "reader");
  assert.deepEqual(gets.map((e) => [e.provider, e.status]), [
    ["localapi", "success"],
    ["otherapi", "failure"],
  ]);
});

Deno.test("isolation: a grant stops working when it expires and when it is revoked", async () => {
  await using t = await setUp();
  const url = `https://127.0.0.2:${t.routed.port}/x`;
  const code = `curl -s -o /dev/null -w "%{http_code}\\n" ${url}`;
  const expiring = await t.grantRun(
    ["--grant", "short", "--provider", "localapi", "--ttl", "2s"],
    `${code}; sleep 2.5; curl -s ${url}; echo`,
  );
  assert.equal(expiring.code, 0, expiring.stderr);
  const [before, after] = expiring.stdout.trim().split("\n");
  assert.equal(before, "200");
  assert.match(after, /grant "short" expired at/);
  assert.ok(!after.includes(KEY));

  const revoked = await t.grantRun(
    ["--grant", "long", "--provider", "localapi", "--ttl", "1h"],
    `${code}; "${Deno.execPath()}" run -A --no-lock ${CLI} grant revoke long; ` +
      `curl -s -w " %{http_code}" ${url}; echo`,
  );
  assert.equal(revoked.code, 0, revoked.stderr);
  const lines = revoked.stdout.trim().split("\n");
  assert.equal(lines[0], "200");
  assert.equal(lines[1], "grant long revoked");
  // The proxy is gone (000) or refuses (403): either way no credential reaches the upstream.
  assert.match(lines[2], / (000|403)$/);
  assert.ok(!lines[2].includes(KEY));
});

Deno.test("isolation: without an unlocked daemon, commands of a key-mode-daemon home exit 9 with the unlock hint", async () => {
  await using t = await setUp();
  const get = await t.cli(["get", "localapi", "--field", "api_key"]);
  assert.equal(get.code, 9, get.stderr);
  assert.match(get.stderr, /not on disk \(key mode daemon\)/);
  assert.match(get.stderr, /authsome daemon unlock/);
  assert.equal((await t.cli(["daemon", "stop"])).code, 0);
  const run = await t.grantRun(["--grant", "g", "--provider", "localapi"], "true");
  assert.equal(run.code, 9, run.stderr);
  assert.match(run.stderr, /no authsome daemon is running[^]*authsome daemon unlock/);
  const wrong = await t.cli(["daemon", "unlock", "--port", "0"], { AUTHSOME_PASSPHRASE: "nope" });
  assert.equal(wrong.code, 7, wrong.stderr);
  assert.match(wrong.stderr, /wrong passphrase/);
  assert.ok(!(await Deno.stat(`${t.home}/master.key`).catch(() => null)));
});

Deno.test("isolation: whoami and doctor say where the key is instead of failing on the vault", async () => {
  await using t = await setUp();
  await Deno.chmod(t.home, 0o700); // doctor's home check wants it private
  const who = await t.cli(["whoami"]);
  assert.equal(who.code, 0, who.stderr);
  assert.match(
    who.stdout,
    /Key Source:\s+daemon \(key mode daemon: held by the running daemon only\)/,
  );
  const doctor = await t.cli(["doctor"]);
  assert.equal(doctor.code, 0, doctor.stdout + doctor.stderr);
  assert.match(
    doctor.stdout,
    /OK\s+vault\s+key mode daemon: the key is held by the running daemon/,
  );
  assert.equal((await t.cli(["daemon", "stop"])).code, 0);
  const json = JSON.parse((await t.cli(["whoami", "--json"])).stdout);
  assert.equal(json.key_source, "daemon");
  assert.equal(json.key_held_by_running_daemon, false);
  const stopped = await t.cli(["doctor"]);
  assert.equal(stopped.code, 1);
  assert.match(
    stopped.stdout,
    /FAIL\s+vault\s+key mode daemon: no daemon holds the vault key[^]*fix: authsome daemon unlock/,
  );
  // With the passphrase, whoami opens the vault itself and counts the connections.
  const counted = await t.cli(["whoami"], { AUTHSOME_PASSPHRASE: PASSPHRASE });
  assert.match(counted.stdout, /Connections:\s+2\b/);
});

Deno.test("isolation: in a master.key home run --grant still scopes what the proxy injects, and warns that the key is on disk", async () => {
  await using dir = await tempHome();
  const routed = await upstream("127.0.0.2");
  try {
    const work = `${dir.home}/../work`;
    await Deno.mkdir(work, { recursive: true });
    await Deno.writeTextFile(`${work}/ca.pem`, routed.caPem);
    await Deno.writeTextFile(
      `${work}/localapi.json`,
      provider("localapi", "127.0.0.2", routed.port),
    );
    const env = { DENO_CERT: `${work}/ca.pem`, TMPDIR: work };
    const cli = (args: string[], extra: Record<string, string> = {}) =>
      runCli(args, { home: dir.home, env: { ...env, ...extra } });
    assert.equal((await cli(["register", `${work}/localapi.json`])).code, 0);
    assert.equal((await cli(["login", "localapi"], { LOCALAPI_KEY: KEY })).code, 0);
    const started = await cli(["daemon", "start", "--port", "0"]);
    assert.equal(started.code, 0, started.stderr);
    try {
      const url = `https://127.0.0.2:${routed.port}/x`;
      const out = await cli([
        "run",
        "--grant",
        "g",
        "--provider",
        "localapi",
        "--method",
        "GET",
        "--",
        "sh",
        "-c",
        `curl -s ${url}; echo; curl -s -o /dev/null -w "%{http_code}" -X DELETE ${url}`,
      ]);
      assert.equal(out.code, 0, out.stderr);
      const [allowed, refused] = out.stdout.trim().split("\n");
      assert.equal(JSON.parse(allowed).key, KEY);
      assert.equal(refused, "403");
      assert.match(out.stderr, /keeps its vault key on disk, where the child can read it/);
    } finally {
      await cli(["daemon", "stop"]);
    }
  } finally {
    await routed.server.shutdown();
  }
});

Deno.test("isolation: grant flags without --grant, or with --env, are usage errors (exit 2)", async () => {
  await using dir = await tempHome();
  const host = await runCli(["run", "--host", "api.x.com", "--", "true"], { home: dir.home });
  assert.equal(host.code, 2, host.stderr);
  assert.match(host.stderr, /--host limits a grant: use it with --grant <name>/);
  const env = await runCli(["run", "--grant", "g", "--provider", "x", "--env", "--", "true"], {
    home: dir.home,
  });
  assert.equal(env.code, 2, env.stderr);
  assert.match(env.stderr, /--grant and --env exclude each other/);
  const connection = await runCli(
    ["run", "--grant", "g", "--provider", "x", "--connection", "work", "--", "true"],
    { home: dir.home },
  );
  assert.equal(connection.code, 2, connection.stderr);
  assert.match(connection.stderr, /--connection does not apply to --grant/);
  const ttl = await runCli(["grant", "create", "g", "--provider", "x", "--ttl", "9d"], {
    home: dir.home,
  });
  assert.equal(ttl.code, 2, ttl.stderr);
  assert.match(ttl.stderr, /--ttl must be a duration from 1s to 7d/);
});

Deno.test("isolation: unlock once, create a grant once, then run agents with AUTHSOME_GRANT_TOKEN and no passphrase", async () => {
  await using t = await setUp();
  const created = await t.cli(
    [
      "grant",
      "create",
      "team",
      "--provider",
      "localapi",
      "--method",
      "GET",
      "--ttl",
      "1h",
      "--json",
    ],
    { AUTHSOME_PASSPHRASE: PASSPHRASE },
  );
  assert.equal(created.code, 0, created.stderr);
  const grant = JSON.parse(created.stdout);
  assert.match(grant.proxy_url, /^http:\/\/team:[A-Za-z0-9_-]{43}@127\.0\.0\.1:\d+$/);
  assert.match(grant.ca_certificate_pem, /BEGIN CERTIFICATE/);
  const url = `https://127.0.0.2:${t.routed.port}/shared`;
  const script = `curl -s ${url}; echo; curl -s -o /dev/null -w "%{http_code}" -X POST ${url}; ` +
    `echo; echo "token in env: \${AUTHSOME_GRANT_TOKEN:-none}"`;
  for (let i = 0; i < 2; i++) {
    // No AUTHSOME_PASSPHRASE here: only the grant's token.
    const out = await t.cli(["run", "--grant", "team", "--", "sh", "-c", script], {
      AUTHSOME_GRANT_TOKEN: grant.token,
    });
    assert.equal(out.code, 0, out.stderr);
    const [allowed, refused, tokenLine] = out.stdout.trim().split("\n");
    assert.equal(JSON.parse(allowed).key, KEY);
    assert.equal(refused, "403");
    assert.equal(tokenLine, "token in env: none");
  }
  // The grant outlives its runs.
  const list = JSON.parse((await t.cli(["grant", "list", "--json"])).stdout);
  assert.deepEqual(list.grants.map((g: { name: string }) => g.name), ["team"]);
  const wrongName = await t.cli(["run", "--grant", "other", "--", "true"], {
    AUTHSOME_GRANT_TOKEN: grant.token,
  });
  assert.equal(wrongName.code, 2, wrongName.stderr);
  assert.match(wrongName.stderr, /token of grant "team", not "other"/);
  const widened = await t.cli(["run", "--grant", "team", "--provider", "otherapi", "--", "true"], {
    AUTHSOME_GRANT_TOKEN: grant.token,
  });
  assert.equal(widened.code, 2, widened.stderr);
  assert.match(widened.stderr, /--provider cannot change an existing grant/);
  assert.equal((await t.cli(["grant", "revoke", "team"])).code, 0);
  const revoked = await t.cli(["run", "--grant", "team", "--", "true"], {
    AUTHSOME_GRANT_TOKEN: grant.token,
  });
  assert.equal(revoked.code, 4, revoked.stderr);
  assert.match(revoked.stderr, /not the token of a live grant/);
});
