import assert from "node:assert/strict";
import { loadOrCreateCa } from "../../src/run/ca_store.ts";
import { testContext } from "../auth/_context.ts";

Deno.test.sanitizer?.({ ops: true, resources: true });

const DAY = 24 * 3600 * 1000;

/** Every regular file under `dir`, with its bytes. */
async function filesUnder(dir: string): Promise<Map<string, Uint8Array>> {
  const out = new Map<string, Uint8Array>();
  for await (const entry of Deno.readDir(dir)) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory) {
      for (const [p, bytes] of await filesUnder(path)) out.set(p, bytes);
    } else if (entry.isFile) {
      out.set(path, await Deno.readFile(path));
    }
  }
  return out;
}

function pemBody(pem: string): string {
  return pem.replace(/-----[A-Z ]+-----/g, "").replace(/\s+/g, "");
}

Deno.test("loadOrCreateCa creates the CA once, stores it in the vault and reuses it", async () => {
  await using t = await testContext();
  const first = await loadOrCreateCa(t.ctx);
  assert.match(first.certificatePem, /^-----BEGIN CERTIFICATE-----/);
  assert.match(first.privateKeyPkcs8Pem, /^-----BEGIN PRIVATE KEY-----/);
  assert.equal(first.notBefore.getTime() <= t.platform.clock.now(), true);
  assert.ok(first.notAfter.getTime() - t.platform.clock.now() > 800 * DAY);

  const stored = await (await t.ctx.vault.read()).get("proxy/ca");
  assert.ok(stored, "the CA is stored in the vault as proxy/ca");
  assert.equal(stored.certificate_pem, first.certificatePem);
  assert.equal(stored.private_key_pem, first.privateKeyPkcs8Pem);
  assert.equal(stored.fingerprint_sha256, first.fingerprintSha256);
  assert.equal(stored.created_at, new Date(t.platform.clock.now()).toISOString());

  const generation = (await Deno.readFile(`${t.home}/vault.enc`)).slice(52, 60);
  const second = await loadOrCreateCa(t.ctx);
  assert.equal(second.fingerprintSha256, first.fingerprintSha256);
  assert.equal(second.certificatePem, first.certificatePem);
  assert.deepEqual(
    (await Deno.readFile(`${t.home}/vault.enc`)).slice(52, 60),
    generation,
    "loading an existing CA does not rewrite the vault",
  );
});

Deno.test("the CA's private key appears in no file under the home but vault.enc, sealed", async () => {
  await using t = await testContext({ keyFile: true });
  const ca = await loadOrCreateCa(t.ctx);
  await loadOrCreateCa(t.ctx);
  const body = pemBody(ca.privateKeyPkcs8Pem);
  const needles = [body, body.slice(0, 24), body.slice(-24), "PRIVATE KEY"];
  const files = await filesUnder(t.home);
  assert.ok(files.has(`${t.home}/vault.enc`));
  assert.ok(files.has(`${t.home}/master.key`));
  for (const [path, bytes] of files) {
    const text = new TextDecoder().decode(bytes);
    const latin1 = Array.from(bytes, (b) => String.fromCharCode(b)).join("");
    for (const needle of needles) {
      assert.ok(!text.includes(needle) && !latin1.includes(needle), `${needle} found in ${path}`);
    }
  }
});

Deno.test({
  name: "a CA within 30 days of expiry is replaced, and the new one is stored",
}, async () => {
  await using t = await testContext();
  const old = await loadOrCreateCa(t.ctx);
  t.platform.advance(800 * DAY);
  const renewed = await loadOrCreateCa(t.ctx);
  assert.notEqual(renewed.fingerprintSha256, old.fingerprintSha256);
  assert.ok(renewed.notAfter.getTime() > old.notAfter.getTime());
  const stored = await (await t.ctx.vault.read()).get("proxy/ca");
  assert.equal(stored?.fingerprint_sha256, renewed.fingerprintSha256);
  assert.equal((await loadOrCreateCa(t.ctx)).fingerprintSha256, renewed.fingerprintSha256);
});
