/**
 * `authsome run` in proxy mode with real clients (curl, Deno fetch, Python's standard library)
 * against a local HTTPS upstream: the upstream sees the injected header, the child never has
 * the secret (environment or argv), other hosts are tunnelled untouched, temp files go away.
 */
import assert from "node:assert/strict";
import { tempHome } from "../_fakes/platform.ts";
import { runCli } from "./_cli.ts";
import { httpsUpstream } from "./_https_upstream.ts";

const KEY = "lk-proxy-secret-0123456789abcdef";

/** An HTTPS server on `host` that echoes what it received, with a cert from its own CA. */
function upstream(host: string) {
  return httpsUpstream(host, (req) => ({
    key: req.headers.get("x-api-key"),
    ...(req.headers.has("authorization")
      ? { authorization: req.headers.get("authorization") }
      : {}),
    path: new URL(req.url).pathname,
  }));
}

async function setUp() {
  const dir = await tempHome();
  const routed = await upstream("127.0.0.2");
  const other = await upstream("127.0.0.3");
  const work = `${dir.home}/../work`;
  await Deno.mkdir(work, { recursive: true });
  await Deno.writeTextFile(`${work}/upstream-ca.pem`, routed.caPem + other.caPem);
  await Deno.writeTextFile(
    `${work}/localapi.json`,
    JSON.stringify({
      schema_version: 1,
      name: "localapi",
      display_name: "Local API",
      auth_type: "api_key",
      flow: "api_key",
      api_key: { header_name: "X-Api-Key", header_prefix: "", env_var: "LOCALAPI_KEY" },
      host_url: `https://127.0.0.2:${routed.port}`,
      export: { env: { api_key: "LOCALAPI_KEY" } },
    }),
  );
  // The authsome process must trust the test upstream (a real one has a public certificate).
  const env = { DENO_CERT: `${work}/upstream-ca.pem`, TMPDIR: work };
  const cli = (args: string[], extra: Record<string, string> = {}) =>
    runCli(args, { home: dir.home, env: { ...env, ...extra } });
  assert.equal((await cli(["register", `${work}/localapi.json`])).code, 0);
  assert.equal((await cli(["login", "localapi"], { LOCALAPI_KEY: KEY })).code, 0);
  return {
    home: dir.home,
    work,
    routed,
    other,
    cli,
    async [Symbol.asyncDispose]() {
      await routed.server.shutdown();
      await other.server.shutdown();
      await dir[Symbol.asyncDispose]();
    },
  };
}

Deno.test("run (proxy): curl's request gets the key; the child only sees the placeholder", async () => {
  await using t = await setUp();
  const url = `https://127.0.0.2:${t.routed.port}/v1/things`;
  const out = await t.cli(["run", "--", "sh", "-c", `echo "$LOCALAPI_KEY"; curl -sS ${url}`]);
  assert.equal(out.code, 0, out.stderr);
  const [placeholder, body] = out.stdout.trim().split("\n");
  assert.equal(placeholder, "authsome-proxy-managed");
  assert.deepEqual(JSON.parse(body), { key: KEY, path: "/v1/things" });
  // Temporary CA bundles are gone once the child has exited.
  const left = [...Deno.readDirSync(t.work)].filter((e) => e.name.startsWith("authsome-ca"));
  assert.deepEqual(left, []);
  const audit = await Deno.readTextFile(`${t.home}/audit.log`);
  assert.match(audit, /"event":"run".*"mode":"proxy"/);
  assert.ok(!audit.includes(KEY));
});

Deno.test("run (proxy): Deno fetch and Python urllib get the key too", async () => {
  await using t = await setUp();
  const url = `https://127.0.0.2:${t.routed.port}/py`;
  const deno = await t.cli([
    "run",
    "--",
    Deno.execPath(),
    "eval",
    `const r = await fetch("${url}"); console.log(await r.text());`,
  ]);
  assert.equal(deno.code, 0, deno.stderr);
  assert.equal(JSON.parse(deno.stdout).key, KEY);
  const python = await t.cli([
    "run",
    "--",
    "python3",
    "-c",
    `import urllib.request; print(urllib.request.urlopen("${url}").read().decode())`,
  ]);
  assert.equal(python.code, 0, python.stderr);
  assert.equal(JSON.parse(python.stdout).key, KEY);
});

Deno.test("run (proxy): other hosts are tunnelled untouched; the secret is not in the child's environ", async () => {
  await using t = await setUp();
  const otherUrl = `https://127.0.0.3:${t.other.port}/x`;
  const script = `cat /proc/$$/environ > ${t.work}/environ; ` +
    `curl -sS --cacert ${t.work}/upstream-ca.pem ${otherUrl}`;
  const out = await t.cli(["run", "--", "sh", "-c", script]);
  assert.equal(out.code, 0, out.stderr);
  assert.deepEqual(JSON.parse(out.stdout), { key: null, path: "/x" });
  const environ = await Deno.readTextFile(`${t.work}/environ`);
  assert.ok(!environ.includes(KEY), "the child's environment holds no secret");
  assert.match(environ, /HTTPS_PROXY=http:\/\/authsome:[0-9a-f]{32}@127\.0\.0\.1:\d+/);
  assert.match(environ, /SSL_CERT_FILE=/);
});

Deno.test("run (proxy): other local processes cannot use the proxy without its per-run credentials", async () => {
  await using t = await setUp();
  const url = `https://127.0.0.2:${t.routed.port}/steal`;
  // Same port, no user:password: the proxy answers 407 to the CONNECT and injects nothing.
  const script = 'P="${HTTPS_PROXY##*:}"; ' +
    `curl -s -o /dev/null -w '%{http_connect}' --proxy "http://127.0.0.1:$P" ${url}; exit 0`;
  const out = await t.cli(["run", "--", "sh", "-c", script]);
  assert.equal(out.code, 0, out.stderr);
  assert.equal(out.stdout, "407");
});

Deno.test("run (proxy): a child exiting 7 makes run exit 7", async () => {
  await using t = await setUp();
  const out = await t.cli(["run", "--", "sh", "-c", "exit 7"]);
  assert.equal(out.code, 7);
});

Deno.test("run (proxy): a basic_auth provider's requests carry Basic base64(key + ':')", async () => {
  await using t = await setUp();
  const secret = "bk-basic-secret-9876543210";
  await Deno.writeTextFile(
    `${t.work}/basicapi.json`,
    JSON.stringify({
      schema_version: 1,
      name: "basicapi",
      display_name: "Basic API",
      auth_type: "api_key",
      flow: "api_key",
      api_key: { basic_auth: "key_as_username", env_var: "BASICAPI_KEY" },
      // More specific than localapi's route to the same host, so it wins for /basic.
      host_url: `https://127.0.0.2:${t.routed.port}/basic`,
    }),
  );
  assert.equal((await t.cli(["register", `${t.work}/basicapi.json`])).code, 0);
  assert.equal((await t.cli(["login", "basicapi"], { BASICAPI_KEY: secret })).code, 0);
  const url = `https://127.0.0.2:${t.routed.port}/basic/items`;
  const out = await t.cli(["run", "--", "sh", "-c", `echo "$BASICAPI_KEY"; curl -sS ${url}`]);
  assert.equal(out.code, 0, out.stderr);
  const [placeholder, body] = out.stdout.trim().split("\n");
  assert.equal(placeholder, "authsome-proxy-managed");
  assert.deepEqual(JSON.parse(body), {
    key: null,
    authorization: `Basic ${btoa(`${secret}:`)}`,
    path: "/basic/items",
  });
  assert.ok(!out.stderr.includes(secret) && !out.stderr.includes(btoa(`${secret}:`)));
});
