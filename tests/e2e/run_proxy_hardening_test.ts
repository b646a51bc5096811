/**
 * `authsome run` in proxy mode against hostile or unusual conditions: compressed and chunked
 * responses (real clients must decode them), other local users probing for the TLS
 * terminator, unreachable or untrusted upstreams, corporate CA bundles, missing connections,
 * `login` inside a `run` child, and Node.js children.
 */
import assert from "node:assert/strict";
import { tempHome } from "../_fakes/platform.ts";
import { createCertificateAuthority, issueLeafCertificate } from "../../src/run/x509.ts";
import { answerFor, connectProxy, rawUpstream } from "./_run_upstream.ts";
import { CLI, runCli } from "./_cli.ts";

const KEY = "lk-hardening-secret-0123456789abcdef";

/** Whether a program runs here (the Python and Node checks are skipped where they cannot). */
async function runs(program: string, args: string[]): Promise<boolean> {
  try {
    return (await new Deno.Command(program, { args, stdout: "null", stderr: "null" }).output())
      .success;
  } catch {
    return false;
  }
}
const HAS_REQUESTS = await runs("python3", ["-c", "import requests"]);
const HAS_NODE = await runs("node", ["--version"]);

async function setUp(options: { trustUpstream?: boolean } = {}) {
  const dir = await tempHome();
  const upstream = await rawUpstream("127.0.0.2");
  const work = `${dir.home}/../work`;
  await Deno.mkdir(work, { recursive: true });
  await Deno.writeTextFile(`${work}/upstream-ca.pem`, upstream.caPem);
  const provider = (name: string, hostUrl: string) => ({
    schema_version: 1,
    name,
    display_name: name,
    auth_type: "api_key",
    flow: "api_key",
    api_key: { header_name: "X-Api-Key", header_prefix: "", env_var: "LOCALAPI_KEY" },
    host_url: hostUrl,
    export: { env: { api_key: "LOCALAPI_KEY" } },
  });
  await Deno.writeTextFile(
    `${work}/localapi.json`,
    JSON.stringify(provider("localapi", `https://127.0.0.2:${upstream.port}`)),
  );
  // The documented way to make the proxy trust a private CA for the real hosts.
  const base: Record<string, string> = { TMPDIR: work };
  if (options.trustUpstream !== false) base.AUTHSOME_CA_FILE = `${work}/upstream-ca.pem`;
  const cli = (args: string[], extra: Record<string, string> = {}) =>
    runCli(args, { home: dir.home, env: { ...base, ...extra } });
  assert.equal((await cli(["register", `${work}/localapi.json`])).code, 0);
  assert.equal((await cli(["login", "localapi"], { LOCALAPI_KEY: KEY })).code, 0);
  return {
    home: dir.home,
    work,
    upstream,
    cli,
    url: (path: string) => `https://127.0.0.2:${upstream.port}${path}`,
    async register(name: string, hostUrl: string) {
      await Deno.writeTextFile(`${work}/${name}.json`, JSON.stringify(provider(name, hostUrl)));
      assert.equal((await cli(["register", `${work}/${name}.json`])).code, 0);
    },
    async login(name: string) {
      assert.equal((await cli(["login", name], { LOCALAPI_KEY: `${KEY}-${name}` })).code, 0);
    },
    async [Symbol.asyncDispose]() {
      await upstream.close();
      await dir[Symbol.asyncDispose]();
    },
  };
}

const ENCODED = ["/gzip", "/br", "/deflate", "/chunked", "/chunked-gzip"];
/** What `curl --compressed` sends as Accept-Encoding (this curl has zlib and brotli). */
const CURL_ACCEPTS = "deflate, gzip, br";

Deno.test("run (proxy): curl --compressed decodes gzip, br, deflate and chunked responses", async () => {
  await using t = await setUp();
  const script = ENCODED.map((path) => `curl -sS --compressed ${t.url(path)}; echo`).join("; ");
  const out = await t.cli(["run", "--", "sh", "-c", script]);
  assert.equal(out.code, 0, out.stderr);
  const lines = out.stdout.trim().split("\n");
  assert.equal(lines.length, ENCODED.length, out.stdout);
  for (const [i, path] of ENCODED.entries()) {
    const expected = await answerFor(path, KEY, CURL_ACCEPTS);
    assert.equal(lines[i], expected.json, `${path} decodes to the original`);
  }
});

Deno.test("run (proxy): response bodies are relayed byte for byte (still compressed)", async () => {
  await using t = await setUp();
  const out = await t.cli([
    "run",
    "--",
    "sh",
    "-c",
    `curl -sS -H 'Accept-Encoding: gzip' -D ${t.work}/head -o ${t.work}/gzip.bin ${t.url("/gzip")}`,
  ]);
  assert.equal(out.code, 0, out.stderr);
  const expected = await answerFor("/gzip", KEY, "gzip");
  assert.deepEqual(await Deno.readFile(`${t.work}/gzip.bin`), expected.body);
  const head = (await Deno.readTextFile(`${t.work}/head`)).toLowerCase();
  assert.match(head, /content-encoding: gzip/);
  assert.match(head, new RegExp(`content-length: ${expected.body.length}\\r`));
});

Deno.test("run (proxy): Deno fetch and Python requests decode every encoding", async () => {
  await using t = await setUp();
  const urls = JSON.stringify(ENCODED.map((path) => t.url(path)));
  // Python requests asks for br only when the brotli package is installed: not assumed.
  const pythonPaths = ENCODED.filter((path) => path !== "/br");
  const pythonUrls = JSON.stringify(pythonPaths.map((path) => t.url(path)));
  const deno = await t.cli([
    "run",
    "--",
    Deno.execPath(),
    "eval",
    `for (const u of ${urls}) console.log(JSON.stringify(await (await fetch(u)).json()));`,
  ]);
  assert.equal(deno.code, 0, deno.stderr);
  const decoded = (out: string) => out.trim().split("\n").map((line) => JSON.parse(line));
  // Deno asks for gzip and br; Python for gzip and deflate: each got those compressed.
  assert.deepEqual(
    decoded(deno.stdout).map((answer) => [answer.key, answer.path, answer.coding]),
    [
      [KEY, "/gzip", "gzip"],
      [KEY, "/br", "br"],
      [KEY, "/deflate", null],
      [KEY, "/chunked", null],
      [KEY, "/chunked-gzip", "gzip"],
    ],
  );
  if (!HAS_REQUESTS) return; // Python requests is not installed; Deno fetch was checked.
  const python = await t.cli([
    "run",
    "--",
    "python3",
    "-c",
    `import json, requests\nfor u in ${pythonUrls}: print(json.dumps(requests.get(u).json(), separators=(",", ":")))`,
  ]);
  assert.equal(python.code, 0, python.stderr);
  assert.deepEqual(
    decoded(python.stdout).map((answer) => [answer.key, answer.path, answer.coding]),
    [
      [KEY, "/gzip", "gzip"],
      [KEY, "/deflate", "deflate"],
      [KEY, "/chunked", null],
      [KEY, "/chunked-gzip", "gzip"],
    ],
  );
});

Deno.test("run (proxy): request bodies pass through, and one connection carries several requests", async () => {
  await using t = await setUp();
  const body = "x".repeat(100_000);
  await Deno.writeTextFile(`${t.work}/body.txt`, body);
  const out = await t.cli([
    "run",
    "--",
    "sh",
    "-c",
    `curl -sS --data-binary @${t.work}/body.txt ${t.url("/echo-body")} ` +
    `--next -sS ${t.url("/chunked")} -w '\\n%{num_connects}'`,
  ]);
  assert.equal(out.code, 0, out.stderr);
  assert.ok(out.stdout.startsWith(body), "the posted body came back whole");
  assert.ok(out.stdout.includes((await answerFor("/chunked", KEY, "")).json));
  assert.ok(out.stdout.endsWith("\n0"), "the second request reused the first connection");
});

/** Counts the TCP sockets the `run` process (the child's parent) listens on. */
const COUNT_LISTENERS = `
import os, sys
pid = sys.argv[1]
inodes = set()
for fd in os.listdir(f"/proc/{pid}/fd"):
    try:
        target = os.readlink(f"/proc/{pid}/fd/{fd}")
    except OSError:
        continue
    if target.startswith("socket:["):
        inodes.add(target[8:-1])
count = 0
for table in ("/proc/net/tcp", "/proc/net/tcp6"):
    for line in open(table).read().splitlines()[1:]:
        fields = line.split()
        if fields[3] == "0A" and fields[9] in inodes:
            count += 1
print(count)
`;

Deno.test("run (proxy): the TLS terminator has no socket another local user could connect to", async () => {
  await using t = await setUp();
  await Deno.writeTextFile(`${t.work}/count.py`, COUNT_LISTENERS);
  // After an intercepted request the run process listens on one port only: the proxy's, which
  // demands the per-run credentials. (It used to listen on one more per routed host.)
  const script = `curl -sS -o /dev/null ${t.url("/gzip")} && python3 ${t.work}/count.py $PPID`;
  const out = await t.cli(["run", "--", "sh", "-c", script]);
  assert.equal(out.code, 0, out.stderr);
  assert.equal(out.stdout.trim(), "1");
});

Deno.test("run (proxy): a 502 says why the upstream failed (refused, DNS, TLS verification)", async () => {
  await using t = await setUp({ trustUpstream: false });
  const closed = Deno.listen({ hostname: "127.0.0.2", port: 0 });
  const closedPort = (closed.addr as Deno.NetAddr).port;
  closed.close();
  for (
    const [name, hostUrl] of [
      ["refusedapi", `https://127.0.0.2:${closedPort}`],
      ["dnsapi", "api.authsome-test.invalid"],
    ]
  ) {
    await t.register(name, hostUrl);
    await t.login(name);
  }
  const script = [
    `curl -sS -w ' %{http_code}\\n' https://127.0.0.2:${closedPort}/x`,
    "curl -sS -w ' %{http_code}\\n' https://api.authsome-test.invalid/x",
    // The upstream's CA is not trusted by the proxy here (no AUTHSOME_CA_FILE).
    `curl -sS -w ' %{http_code}\\n' ${t.url("/gzip")}`,
  ].join("; ");
  const out = await t.cli(["run", "--", "sh", "-c", script]);
  assert.equal(out.code, 0, out.stderr);
  // Each 502 body is one line; curl then prints " <status>" on a line of its own.
  const [refused, status1, dns, status2, tls, status3] = out.stdout.split("\n");
  assert.deepEqual([status1, status2, status3], [" 502", " 502", " 502"], out.stdout);
  assert.equal(refused, `authsome proxy: connection refused by 127.0.0.2:${closedPort}`);
  assert.equal(dns, "authsome proxy: could not resolve host api.authsome-test.invalid");
  assert.match(
    tls,
    /^authsome proxy: TLS verification of 127\.0\.0\.2:\d+ failed .*AUTHSOME_CA_FILE/,
  );
  const log = await Deno.readTextFile(`${t.home}/logs/authsome.log`);
  assert.match(log, /proxy upstream failed.*connection refused/);
  assert.match(log, /proxy upstream failed.*could not resolve host/);
});

Deno.test("run (proxy): a tunnelled (not routed) host that refuses gets a 502 with the reason logged", async () => {
  await using t = await setUp();
  const closed = Deno.listen({ hostname: "127.0.0.3", port: 0 });
  const closedPort = (closed.addr as Deno.NetAddr).port;
  closed.close();
  const out = await t.cli([
    "run",
    "--",
    "sh",
    "-c",
    `curl -s -o /dev/null -w '%{http_connect}' https://127.0.0.3:${closedPort}/; exit 0`,
  ]);
  assert.equal(out.stdout, "502");
  const log = await Deno.readTextFile(`${t.home}/logs/authsome.log`);
  assert.match(log, new RegExp(`connection refused by 127\\.0\\.0\\.3:${closedPort}`));
});

Deno.test("run (proxy): the parent's corporate CA stays trusted by the child and by the proxy", async () => {
  await using t = await setUp({ trustUpstream: false });
  // A second, unrouted host whose certificate only the "corporate" CA vouches for.
  const now = new Date();
  const corp = await createCertificateAuthority({ commonName: "corp CA", now, validDays: 2 });
  const leaf = await issueLeafCertificate(corp, { hostname: "127.0.0.3", now, validDays: 2 });
  const other = Deno.serve({
    hostname: "127.0.0.3",
    port: 0,
    cert: leaf.certificatePem,
    key: leaf.privateKeyPkcs8Pem,
    onListen() {},
  }, () => new Response("corp ok"));
  try {
    await Deno.writeTextFile(`${t.work}/corp.pem`, corp.certificatePem + t.upstream.caPem);
    const script = `curl -sS https://127.0.0.3:${other.addr.port}/; echo; ` +
      `curl -sS ${t.url("/deflate")} -o /dev/null -w '%{http_code}\\n'; ` +
      `grep -c 'BEGIN CERTIFICATE' "$NODE_EXTRA_CA_CERTS"`;
    const out = await t.cli(["run", "--", "sh", "-c", script], {
      SSL_CERT_FILE: `${t.work}/corp.pem`,
    });
    assert.equal(out.code, 0, out.stderr);
    const [tunnelled, routed, nodeExtra] = out.stdout.trim().split("\n");
    assert.equal(tunnelled, "corp ok", "the child trusts the parent's SSL_CERT_FILE");
    assert.equal(routed, "200", "the proxy trusts the parent's SSL_CERT_FILE upstream");
    assert.equal(nodeExtra, "3", "NODE_EXTRA_CA_CERTS: the two parent CAs and the run CA");
  } finally {
    await other.shutdown();
  }
});

Deno.test("run --provider X fails with exit 5 when X is not logged in, like --env", async () => {
  await using t = await setUp();
  await t.register("otherapi", "api.other.test");
  for (const mode of [[], ["--env"]]) {
    const out = await t.cli([
      "run",
      ...mode,
      "--provider",
      "otherapi",
      "--",
      "sh",
      "-c",
      "echo ran",
    ]);
    assert.equal(out.code, 5, `${mode.join(" ")}: ${out.stderr}`);
    assert.equal(out.stdout, "", "the child did not run");
    assert.match(out.stderr, /authsome login otherapi/);
  }
});

Deno.test("login inside a run child refuses the placeholder and says why", async () => {
  await using t = await setUp();
  await t.register("otherapi", "api.other.test");
  // The child sees LOCALAPI_KEY=<placeholder>, which is also otherapi's key variable.
  const out = await t.cli([
    "run",
    "--",
    Deno.execPath(),
    "run",
    "-A",
    "--no-lock",
    CLI,
    "login",
    "otherapi",
  ]);
  assert.equal(out.code, 4, out.stderr);
  assert.match(out.stderr, /placeholder `authsome run` gives its child.*inside `authsome run`/);
  assert.match(out.stderr, /^ {2}outside `authsome run`: authsome login otherapi/m);
  const list = await t.cli(["list", "--json"]);
  assert.ok(!list.stdout.includes("authsome-proxy-managed"));
  assert.doesNotMatch(list.stdout, /"otherapi"[^}]*"connected"/, "nothing was stored");
});

Deno.test({
  name: "run (proxy): a node child gets NODE_USE_ENV_PROXY=1 and a warning about old Node",
  ignore: !HAS_NODE,
}, async () => {
  await using t = await setUp();
  const out = await t.cli([
    "run",
    "--",
    "node",
    "-e",
    "console.log(process.env.NODE_USE_ENV_PROXY)",
  ]);
  assert.equal(out.code, 0, out.stderr);
  assert.equal(out.stdout.trim(), "1");
  // This machine's Node is asked its version: a Node that honours the variable gets no warning.
  const version = new TextDecoder().decode(
    (await new Deno.Command("node", { args: ["--version"], stdout: "piped" }).output()).stdout,
  ).trim();
  // Read independently of the code under test: 22.21+, 24.5+ and 25+ honour the variable.
  const [major, minor] = version.replace(/^v/, "").split(".").map(Number);
  const honours = major >= 25 || (major === 24 && minor >= 5) || (major === 22 && minor >= 21);
  if (honours) assert.doesNotMatch(out.stderr, /Node\.js/);
  else assert.match(out.stderr, new RegExp(`Node\\.js ${version} ignores HTTPS_PROXY.*--env`));
  const shell = await t.cli(["run", "--", "sh", "-c", "true"]);
  assert.doesNotMatch(shell.stderr, /Node\.js/, "no warning for other programs");
});

Deno.test("run (proxy): the parent's HTTPS_PROXY is used to reach routed and tunnelled hosts", async () => {
  await using t = await setUp();
  // Only reachable through the "corporate" proxy, which sends every tunnel to this upstream.
  const corpUpstream = await rawUpstream("127.0.0.2", "api.corp.test");
  const corp = connectProxy(corpUpstream.port);
  try {
    await Deno.writeTextFile(`${t.work}/corp-ca.pem`, corpUpstream.caPem);
    await t.register("corpapi", "api.corp.test");
    await t.login("corpapi");
    const out = await t.cli([
      "run",
      "--",
      "sh",
      "-c",
      "curl -sS --compressed https://api.corp.test/gzip; echo; " +
      "curl -sS -k -o /dev/null -w '%{http_code}' https://other.corp.test/chunked",
    ], {
      AUTHSOME_CA_FILE: `${t.work}/corp-ca.pem`,
      HTTPS_PROXY: `http://127.0.0.1:${corp.port}`,
      NO_PROXY: "internal.corp.test",
    });
    assert.equal(out.code, 0, out.stderr);
    const [routed, tunnelled] = out.stdout.split("\n");
    assert.equal(JSON.parse(routed).key, `${KEY}-corpapi`, "routed through the corporate proxy");
    assert.equal(tunnelled, "200");
    // (Deno's own update check may pass through the proxy too.)
    assert.deepEqual(corp.targets.filter((target) => target.includes("corp.test")), [
      "api.corp.test:443",
      "other.corp.test:443",
    ]);
  } finally {
    await corp.close();
    await corpUpstream.close();
  }
});
