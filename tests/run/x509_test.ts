import assert from "node:assert/strict";
import {
  type CertificateAuthority,
  createCertificateAuthority,
  ecdsaRawToDer,
  issueLeafCertificate,
  LeafCache,
  type LeafCertificate,
  loadCertificateAuthority,
  MAX_LEAF_VALIDITY_DAYS,
  parseCertificateHost,
  pemToDer,
  X509Error,
} from "../../src/run/x509.ts";
import { type CliResult, runProcess } from "../e2e/_cli.ts";

Deno.test.sanitizer?.({ ops: true, resources: true });

// Deno's fetch honours proxy variables even for 127.0.0.1.
for (const name of ["HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"]) {
  Deno.env.delete(name);
}

const DAY_MS = 86_400_000;
const NOW = new Date();

let caPromise: Promise<CertificateAuthority> | null = null;
function sharedCa(): Promise<CertificateAuthority> {
  caPromise ??= createCertificateAuthority({
    commonName: "authsome test CA",
    now: NOW,
    validDays: 365,
  });
  return caPromise;
}

async function run(cmd: string, args: string[], stdin?: string): Promise<CliResult> {
  return await runProcess(cmd, {
    args,
    stdin,
    clearEnv: true,
    env: { PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin" },
  });
}

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "authsome-x509-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function writeFiles(
  dir: string,
  ca: CertificateAuthority,
  leaf: LeafCertificate,
): Promise<{ caPath: string; leafPath: string; keyPath: string }> {
  const caPath = `${dir}/ca.pem`;
  const leafPath = `${dir}/leaf.pem`;
  const keyPath = `${dir}/leaf.key`;
  await Deno.writeTextFile(caPath, ca.certificatePem);
  await Deno.writeTextFile(leafPath, leaf.certificatePem);
  await Deno.writeTextFile(keyPath, leaf.privateKeyPkcs8Pem);
  return { caPath, leafPath, keyPath };
}

/** Serves `leaf` over TLS on `hostname`, answering `hello <host header>`. */
async function withTlsServer(
  leaf: LeafCertificate,
  hostname: string,
  fn: (port: number) => Promise<void>,
): Promise<void> {
  const server = Deno.serve(
    {
      hostname,
      port: 0,
      cert: leaf.certificatePem,
      key: leaf.privateKeyPkcs8Pem,
      onListen: () => {},
      onError: () => new Response("error", { status: 500 }),
    },
    (request) => new Response(`hello ${new URL(request.url).hostname}`),
  );
  try {
    await fn(server.addr.port);
  } finally {
    await server.shutdown();
  }
}

Deno.test("the CA is a v3 self-signed P-256 CA with the required extensions", async () => {
  const ca = await sharedCa();
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/ca.pem`, ca.certificatePem);
    const text = await run("openssl", ["x509", "-noout", "-text", "-in", `${dir}/ca.pem`]);
    assert.equal(text.code, 0, text.stderr);
    const out = text.stdout;
    assert.match(out, /Version: 3 \(0x2\)/);
    assert.match(out, /Signature Algorithm: ecdsa-with-SHA256/);
    assert.match(out, /Issuer: CN ?= ?authsome test CA/);
    assert.match(out, /Subject: CN ?= ?authsome test CA/);
    assert.match(out, /NIST CURVE: P-256/);
    assert.match(out, /Basic Constraints: critical\s+CA:TRUE, pathlen:0/);
    assert.match(out, /Key Usage: critical\s+Certificate Sign, CRL Sign/);
    const ski = out.match(/Subject Key Identifier:\s+([0-9A-F:]+)/)?.[1];
    const aki = out.match(/Authority Key Identifier:\s+(?:keyid:)?([0-9A-F:]+)/)?.[1];
    assert.ok(ski && ski.length === 59, out);
    assert.equal(aki, ski);
    // Serial: 16 bytes, positive.
    const serial = out.match(/Serial Number:\s+([0-9a-f:]+)/)?.[1];
    assert.equal(serial?.split(":").length, 16, out);

    const selfVerify = await run("openssl", [
      "verify",
      "-x509_strict",
      "-CAfile",
      `${dir}/ca.pem`,
      `${dir}/ca.pem`,
    ]);
    assert.equal(selfVerify.code, 0, selfVerify.stdout + selfVerify.stderr);

    const fingerprint = await run("openssl", [
      "x509",
      "-noout",
      "-fingerprint",
      "-sha256",
      "-in",
      `${dir}/ca.pem`,
    ]);
    assert.equal(fingerprint.stdout.trim().split("=")[1], ca.fingerprintSha256);
  });
  assert.ok(ca.notBefore.getTime() < NOW.getTime());
  assert.ok(Math.abs(ca.notAfter.getTime() - (NOW.getTime() + 365 * DAY_MS)) < 1000);
  assert.match(ca.privateKeyPkcs8Pem, /^-----BEGIN PRIVATE KEY-----\n/);
  assert.equal(ca.privateKey.extractable, false);
});

Deno.test("a leaf for a DNS name verifies with openssl and carries the right extensions", async () => {
  const ca = await sharedCa();
  const leaf = await issueLeafCertificate(ca, {
    hostname: "API.Example.TEST",
    now: NOW,
    validDays: 30,
  });
  assert.equal(leaf.hostname, "api.example.test");
  await withTempDir(async (dir) => {
    const { caPath, leafPath, keyPath } = await writeFiles(dir, ca, leaf);
    for (const strict of [[], ["-x509_strict"]]) {
      const verify = await run("openssl", ["verify", ...strict, "-CAfile", caPath, leafPath]);
      assert.equal(verify.code, 0, verify.stdout + verify.stderr);
      assert.equal(verify.stdout.trim(), `${leafPath}: OK`);
    }
    const verifyName = await run("openssl", [
      "verify",
      "-verify_hostname",
      "api.example.test",
      "-purpose",
      "sslserver",
      "-CAfile",
      caPath,
      leafPath,
    ]);
    assert.equal(verifyName.code, 0, verifyName.stdout + verifyName.stderr);
    const wrongName = await run("openssl", [
      "verify",
      "-verify_hostname",
      "other.example.test",
      "-CAfile",
      caPath,
      leafPath,
    ]);
    assert.notEqual(wrongName.code, 0);

    const text = (await run("openssl", ["x509", "-noout", "-text", "-in", leafPath])).stdout;
    assert.match(text, /Version: 3 \(0x2\)/);
    assert.match(text, /Issuer: CN ?= ?authsome test CA/);
    assert.match(text, /Subject: CN ?= ?api\.example\.test/);
    assert.match(text, /Basic Constraints: critical\s+CA:FALSE/);
    assert.match(text, /Key Usage: critical\s+Digital Signature\n/);
    assert.match(text, /Extended Key Usage:\s+TLS Web Server Authentication\n/);
    assert.match(text, /Subject Alternative Name:\s+DNS:api\.example\.test\n/);
    const ski = text.match(/Authority Key Identifier:\s+(?:keyid:)?([0-9A-F:]+)/)?.[1];
    const caSki = [...ca.subjectKeyIdentifier]
      .map((b) => b.toString(16).padStart(2, "0").toUpperCase())
      .join(":");
    assert.equal(ski, caSki);

    // The key belongs to the certificate.
    const certKey = await run("openssl", ["x509", "-noout", "-pubkey", "-in", leafPath]);
    const privKey = await run("openssl", ["pkey", "-pubout", "-in", keyPath]);
    assert.equal(certKey.stdout, privKey.stdout);
  });
  assert.ok(leaf.notBefore.getTime() < NOW.getTime(), "back-dated for clock skew");
  assert.ok(NOW.getTime() - leaf.notBefore.getTime() <= 2 * 3600_000);
});

Deno.test("leaves for IP literals use an iPAddress SAN", async () => {
  const ca = await sharedCa();
  await withTempDir(async (dir) => {
    for (
      const [hostname, san] of [
        ["127.0.0.1", "IP Address:127.0.0.1"],
        ["[::1]", "IP Address:0:0:0:0:0:0:0:1"],
        ["2001:DB8::10:1", "IP Address:2001:DB8:0:0:0:0:10:1"],
      ]
    ) {
      const leaf = await issueLeafCertificate(ca, { hostname, now: NOW, validDays: 30 });
      const { caPath, leafPath } = await writeFiles(dir, ca, leaf);
      const text = (await run("openssl", ["x509", "-noout", "-text", "-in", leafPath])).stdout;
      assert.match(text, new RegExp(`Subject Alternative Name:\\s+${san}\\n`), text);
      const ip = hostname.replace(/^\[|\]$/g, "");
      const verify = await run("openssl", [
        "verify",
        "-verify_ip",
        ip,
        "-x509_strict",
        "-CAfile",
        caPath,
        leafPath,
      ]);
      assert.equal(verify.code, 0, verify.stdout + verify.stderr);
    }
  });
});

Deno.test("curl accepts a leaf served by Deno only with the CA, for a name and an IP", async () => {
  const ca = await sharedCa();
  const named = await issueLeafCertificate(ca, {
    hostname: "api.example.test",
    now: NOW,
    validDays: 30,
  });
  const ip = await issueLeafCertificate(ca, { hostname: "127.0.0.1", now: NOW, validDays: 30 });
  await withTempDir(async (dir) => {
    const caPath = `${dir}/ca.pem`;
    await Deno.writeTextFile(caPath, ca.certificatePem);

    await withTlsServer(named, "127.0.0.1", async (port) => {
      const resolve = ["--resolve", `api.example.test:${port}:127.0.0.1`];
      const url = `https://api.example.test:${port}/`;
      const ok = await run("curl", [
        "-sS",
        "--max-time",
        "10",
        ...resolve,
        "--cacert",
        caPath,
        url,
      ]);
      assert.equal(ok.code, 0, ok.stderr);
      assert.equal(ok.stdout, "hello api.example.test");

      // Without --cacert curl uses the system roots, which do not include the authsome CA.
      const systemCa = await run("curl", ["-sS", "--max-time", "10", ...resolve, url]);
      assert.equal(systemCa.code, 60, systemCa.stderr); // CURLE_PEER_FAILED_VERIFICATION

      // The name certificate does not cover the address.
      const wrongName = await run("curl", [
        "-sS",
        "--max-time",
        "10",
        "--cacert",
        caPath,
        `https://127.0.0.1:${port}/`,
      ]);
      assert.equal(wrongName.code, 60, wrongName.stderr);
    });

    await withTlsServer(ip, "127.0.0.1", async (port) => {
      const ok = await run("curl", [
        "-sS",
        "--max-time",
        "10",
        "--cacert",
        caPath,
        `https://127.0.0.1:${port}/`,
      ]);
      assert.equal(ok.code, 0, ok.stderr);
      assert.equal(ok.stdout, "hello 127.0.0.1");
    });
  });
});

Deno.test("Deno fetch accepts the leaf with the CA in caCerts and rejects it without", async () => {
  const ca = await sharedCa();
  const leaf = await issueLeafCertificate(ca, { hostname: "127.0.0.1", now: NOW, validDays: 30 });
  await withTlsServer(leaf, "127.0.0.1", async (port) => {
    const client = Deno.createHttpClient({ caCerts: [ca.certificatePem] });
    try {
      const response = await fetch(`https://127.0.0.1:${port}/`, { client });
      assert.equal(response.status, 200);
      assert.equal(await response.text(), "hello 127.0.0.1");
    } finally {
      client.close();
    }
    const plain = Deno.createHttpClient({});
    try {
      await assert.rejects(() => fetch(`https://127.0.0.1:${port}/`, { client: plain }));
    } finally {
      plain.close();
    }
  });
});

Deno.test("Deno fetch accepts an IPv6 leaf on [::1]", async (t) => {
  const ca = await sharedCa();
  const leaf = await issueLeafCertificate(ca, { hostname: "::1", now: NOW, validDays: 30 });
  let listener: Deno.Listener;
  try {
    listener = Deno.listen({ hostname: "::1", port: 0 });
  } catch {
    await t.step({ name: "IPv6 loopback unavailable", ignore: true, fn: () => {} });
    return;
  }
  listener.close();
  await withTlsServer(leaf, "::1", async (port) => {
    const client = Deno.createHttpClient({ caCerts: [ca.certificatePem] });
    try {
      const response = await fetch(`https://[::1]:${port}/`, { client });
      assert.equal(await response.text(), "hello [::1]");
    } finally {
      client.close();
    }
  });
});

Deno.test("Python's ssl module accepts the leaf in strict X.509 mode", async (t) => {
  const ca = await sharedCa();
  const leaf = await issueLeafCertificate(ca, {
    hostname: "api.example.test",
    now: NOW,
    validDays: 30,
  });
  if ((await run("python3", ["-c", "import ssl"]).catch(() => ({ code: 1 }))).code !== 0) {
    await t.step({ name: "python3 unavailable", ignore: true, fn: () => {} });
    return;
  }
  await withTempDir(async (dir) => {
    const caPath = `${dir}/ca.pem`;
    await Deno.writeTextFile(caPath, ca.certificatePem);
    await withTlsServer(leaf, "127.0.0.1", async (port) => {
      const script = `
import socket, ssl, sys
ctx = ssl.create_default_context(cafile=sys.argv[1])
ctx.verify_flags |= getattr(ssl, "VERIFY_X509_STRICT", 0)
with socket.create_connection(("127.0.0.1", int(sys.argv[2])), timeout=10) as raw:
    with ctx.wrap_socket(raw, server_hostname="api.example.test") as tls:
        tls.sendall(b"GET / HTTP/1.1\\r\\nHost: api.example.test\\r\\nConnection: close\\r\\n\\r\\n")
        data = b""
        while chunk := tls.recv(4096):
            data += chunk
print(data.decode().split("\\r\\n\\r\\n", 1)[1])
`;
      const result = await run("python3", ["-", caPath, String(port)], script);
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stdout.trim(), "hello api.example.test");
    });
  });
});

Deno.test("loadCertificateAuthority round-trips and signs leaves that verify", async () => {
  const ca = await sharedCa();
  const loaded = await loadCertificateAuthority({
    certificatePem: ca.certificatePem,
    privateKeyPkcs8Pem: ca.privateKeyPkcs8Pem,
  });
  assert.equal(loaded.certificatePem, ca.certificatePem);
  assert.equal(loaded.privateKeyPkcs8Pem, ca.privateKeyPkcs8Pem);
  assert.deepEqual(loaded.subjectDer, ca.subjectDer);
  assert.deepEqual(loaded.subjectKeyIdentifier, ca.subjectKeyIdentifier);
  assert.equal(loaded.notBefore.getTime(), ca.notBefore.getTime());
  assert.equal(loaded.notAfter.getTime(), ca.notAfter.getTime());
  assert.equal(loaded.fingerprintSha256, ca.fingerprintSha256);
  assert.equal(loaded.privateKey.extractable, false);

  const leaf = await issueLeafCertificate(loaded, { hostname: "x.test", now: NOW, validDays: 7 });
  await withTempDir(async (dir) => {
    const { caPath, leafPath } = await writeFiles(dir, ca, leaf);
    const verify = await run("openssl", ["verify", "-CAfile", caPath, leafPath]);
    assert.equal(verify.code, 0, verify.stdout + verify.stderr);
  });
});

Deno.test("an openssl-made P-256 CA can be loaded too", async () => {
  await withTempDir(async (dir) => {
    const made = await run("openssl", [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:P-256",
      "-nodes",
      "-keyout",
      `${dir}/ca.key`,
      "-out",
      `${dir}/ca.pem`,
      "-days",
      "30",
      "-subj",
      "/O=Elsewhere/CN=openssl CA",
      "-addext",
      "basicConstraints=critical,CA:TRUE",
      "-addext",
      "keyUsage=critical,keyCertSign",
    ]);
    assert.equal(made.code, 0, made.stderr);
    const ca = await loadCertificateAuthority({
      certificatePem: await Deno.readTextFile(`${dir}/ca.pem`),
      privateKeyPkcs8Pem: await Deno.readTextFile(`${dir}/ca.key`),
    });
    const leaf = await issueLeafCertificate(ca, { hostname: "y.test", now: NOW, validDays: 7 });
    const { caPath, leafPath } = await writeFiles(dir, ca, leaf);
    const verify = await run("openssl", ["verify", "-x509_strict", "-CAfile", caPath, leafPath]);
    assert.equal(verify.code, 0, verify.stdout + verify.stderr);
    const text = (await run("openssl", ["x509", "-noout", "-issuer", "-in", leafPath])).stdout;
    assert.match(text, /O ?= ?Elsewhere, CN ?= ?openssl CA/);
  });
});

Deno.test("loadCertificateAuthority refuses a mismatched key, a leaf, and garbage", async () => {
  const ca = await sharedCa();
  const other = await createCertificateAuthority({ commonName: "other", now: NOW, validDays: 1 });
  await assert.rejects(
    () =>
      loadCertificateAuthority({
        certificatePem: ca.certificatePem,
        privateKeyPkcs8Pem: other.privateKeyPkcs8Pem,
      }),
    (error: Error) => error instanceof X509Error && /does not match/.test(error.message),
  );
  const leaf = await issueLeafCertificate(ca, { hostname: "z.test", now: NOW, validDays: 7 });
  await assert.rejects(
    () =>
      loadCertificateAuthority({
        certificatePem: leaf.certificatePem,
        privateKeyPkcs8Pem: leaf.privateKeyPkcs8Pem,
      }),
    (error: Error) => error instanceof X509Error && /not a CA/.test(error.message),
  );
  await assert.rejects(
    () => loadCertificateAuthority({ certificatePem: "nope", privateKeyPkcs8Pem: "nope" }),
    X509Error,
  );
  await assert.rejects(
    () =>
      loadCertificateAuthority({
        certificatePem: "-----BEGIN CERTIFICATE-----\nMAMCAQE=\n-----END CERTIFICATE-----\n",
        privateKeyPkcs8Pem: ca.privateKeyPkcs8Pem,
      }),
    X509Error,
  );
});

Deno.test("leaf validity is capped at 397 days and at the CA's expiry", async () => {
  const ca = await sharedCa();
  const long = await issueLeafCertificate(ca, { hostname: "a.test", now: NOW, validDays: 3650 });
  const span = long.notAfter.getTime() - long.notBefore.getTime();
  assert.ok(span <= MAX_LEAF_VALIDITY_DAYS * DAY_MS, `${span}`);
  assert.ok(long.notAfter.getTime() <= ca.notAfter.getTime());

  const late = new Date(ca.notAfter.getTime() - 10 * DAY_MS);
  const capped = await issueLeafCertificate(ca, { hostname: "a.test", now: late, validDays: 30 });
  assert.equal(capped.notAfter.getTime(), ca.notAfter.getTime());

  const expired = new Date(ca.notAfter.getTime() + DAY_MS);
  await assert.rejects(
    () => issueLeafCertificate(ca, { hostname: "a.test", now: expired, validDays: 30 }),
    (error: Error) => error instanceof X509Error && /expired/.test(error.message),
  );
  await assert.rejects(
    () => issueLeafCertificate(ca, { hostname: "a.test", now: NOW, validDays: 0 }),
    RangeError,
  );
});

Deno.test("a host name longer than 64 characters gets an empty subject and critical SAN", async () => {
  const ca = await sharedCa();
  const hostname = `${"a".repeat(60)}.${"b".repeat(60)}.example.test`;
  const leaf = await issueLeafCertificate(ca, { hostname, now: NOW, validDays: 7 });
  await withTempDir(async (dir) => {
    const { caPath, leafPath } = await writeFiles(dir, ca, leaf);
    const verify = await run("openssl", [
      "verify",
      "-x509_strict",
      "-verify_hostname",
      hostname,
      "-CAfile",
      caPath,
      leafPath,
    ]);
    assert.equal(verify.code, 0, verify.stdout + verify.stderr);
    const text = (await run("openssl", ["x509", "-noout", "-text", "-in", leafPath])).stdout;
    assert.match(text, /Subject Alternative Name: critical/);
  });
});

Deno.test("parseCertificateHost normalises and rejects", () => {
  assert.deepEqual(parseCertificateHost("Api.Example.COM."), {
    kind: "dns",
    name: "api.example.com",
  });
  assert.equal(parseCertificateHost("localhost").kind, "dns");
  const v4 = parseCertificateHost("10.0.0.255");
  assert.equal(v4.kind, "ip");
  assert.deepEqual(v4.kind === "ip" && [...v4.bytes], [10, 0, 0, 255]);
  const cases: [string, string, number[]][] = [
    ["::1", "::1", [...new Array(15).fill(0), 1]],
    ["[::]", "::", new Array(16).fill(0)],
    ["2001:db8::", "2001:db8::", [0x20, 0x01, 0x0d, 0xb8, ...new Array(12).fill(0)]],
    ["::ffff:1.2.3.4", "::ffff:102:304", [...new Array(10).fill(0), 0xff, 0xff, 1, 2, 3, 4]],
    ["1:0:0:2:0:0:0:3", "1:0:0:2::3", [0, 1, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 3]],
  ];
  for (const [input, name, bytes] of cases) {
    const host = parseCertificateHost(input);
    assert.equal(host.kind, "ip", input);
    assert.equal(host.name, name, input);
    assert.deepEqual(host.kind === "ip" && [...host.bytes], bytes, input);
  }
  for (
    const bad of [
      "",
      "a..b",
      "-a.test",
      "a-.test",
      "a b.test",
      "*.example.com",
      `${"a".repeat(64)}.test`,
      "1::2::3",
      "1:2:3:4:5:6:7:8:9",
      "1:2:3:4:5:6:7",
      "fe80::1%eth0",
      "::1.2.3.4:5",
      "gggg::1",
    ]
  ) {
    assert.throws(() => parseCertificateHost(bad), X509Error, bad);
  }
});

Deno.test("ecdsaRawToDer pads high bits and strips leading zeros", () => {
  const r = new Uint8Array(32).fill(0x80);
  const s = new Uint8Array(32);
  s[31] = 5;
  const der = ecdsaRawToDer(new Uint8Array([...r, ...s]));
  assert.deepEqual(
    [...der],
    [0x30, 0x26, 0x02, 0x21, 0x00, ...r, 0x02, 0x01, 0x05],
  );
  assert.throws(() => ecdsaRawToDer(new Uint8Array(63)), X509Error);
});

Deno.test("pemToDer finds the labelled block among others", () => {
  const pem = "junk\n-----BEGIN OTHER-----\nAAAA\n-----END OTHER-----\n" +
    "-----BEGIN CERTIFICATE-----\nAQID\nBA==\n-----END CERTIFICATE-----\n";
  assert.deepEqual([...pemToDer(pem, "CERTIFICATE")], [1, 2, 3, 4]);
  assert.throws(() => pemToDer(pem, "PRIVATE KEY"), X509Error);
});

Deno.test("LeafCache issues once per host, shares the key, renews near expiry", async () => {
  const ca = await sharedCa();
  let clock = NOW.getTime();
  const cache = new LeafCache(ca, { validDays: 10, now: () => new Date(clock), maxEntries: 2 });
  const [a1, a2] = await Promise.all([cache.get("a.test"), cache.get("A.TEST.")]);
  assert.equal(a1, a2, "concurrent requests share one issuance");
  assert.equal(cache.size, 1);
  const b = await cache.get("b.test");
  assert.equal(b.privateKeyPkcs8Pem, a1.privateKeyPkcs8Pem, "one key for all leaves");
  assert.notEqual(b.certificatePem, a1.certificatePem);
  assert.equal(await cache.get("a.test"), a1);

  clock += 9.5 * DAY_MS; // less than a day left: re-issued
  const renewed = await cache.get("a.test");
  assert.notEqual(renewed, a1);
  assert.ok(renewed.notAfter.getTime() > a1.notAfter.getTime());

  await cache.get("c.test"); // evicts b.test, the least recently used
  assert.equal(cache.size, 2);
  assert.notEqual(await cache.get("b.test"), b);

  await assert.rejects(() => cache.get("bad host"), X509Error);
  assert.equal(cache.size, 2);
  cache.clear();
  assert.equal(cache.size, 0);
});

Deno.test("generation is fast enough for on-demand use", async () => {
  const ca = await createCertificateAuthority({ commonName: "speed", now: NOW, validDays: 30 });
  const cache = new LeafCache(ca);
  await cache.get("warm.test");
  const started = performance.now();
  for (let i = 0; i < 50; i++) await cache.get(`h${i}.test`);
  const perLeaf = (performance.now() - started) / 50;
  assert.ok(perLeaf < 20, `${perLeaf.toFixed(2)} ms per leaf`);
});
