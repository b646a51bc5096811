import assert from "node:assert/strict";
import { runDoctor } from "../../src/auth/doctor.ts";
import { loginWithApiKey } from "../../src/auth/login_api_key.ts";
import { initializeHome } from "../../src/auth/setup.ts";
import { Secret } from "../../src/model/secret.ts";
import { apiKeyProvider, definition, testContext, writeCustomProvider } from "./_context.ts";

Deno.test.sanitizer?.({ ops: true, resources: true });

const ACME_RAW = apiKeyProvider("acme");

/** An initialised home (key file, vault, config) with one login and a custom provider. */
async function healthyHome() {
  const t = await testContext({ keyFile: true, providers: [ACME_RAW] });
  await initializeHome(t.ctx);
  await loginWithApiKey(
    t.ctx,
    definition(ACME_RAW),
    { force: false },
    () => Promise.resolve(new Secret("acme-doctor-key-1")),
  );
  return t;
}

function byName(results: Awaited<ReturnType<typeof runDoctor>>) {
  return Object.fromEntries(results.map((r) => [r.name, r]));
}

Deno.test("a healthy home passes every check", async () => {
  await using t = await healthyHome();
  const results = await runDoctor(t.ctx);
  assert.deepEqual(results.map((r) => r.name), [
    "home",
    "permissions",
    "vault",
    "lock",
    "leftovers",
    "providers",
    "logs",
    "connections",
  ]);
  for (const result of results) assert.ok(result.ok, `${result.name}: ${result.detail}`);
  const checks = byName(results);
  assert.match(checks.vault.detail, /key accepted/);
  assert.match(checks.providers.detail, /\(1 custom\)/);
  assert.match(checks.logs.detail, /audit\.log: 1 entries/);
  assert.equal(checks.connections.detail, "1 connected");
  // Doctor leaves nothing behind (its write probe is removed).
  assert.ok(![...Deno.readDirSync(t.home)].some((e) => e.name.includes("doctor")));
});

Deno.test("doctor does not rewrite the vault (vault.enc.bak stays the user's way back)", async () => {
  await using t = await healthyHome();
  const vault = Deno.readFileSync(`${t.home}/vault.enc`);
  const backup = Deno.readFileSync(`${t.home}/vault.enc.bak`);
  await runDoctor(t.ctx);
  assert.deepEqual(Deno.readFileSync(`${t.home}/vault.enc`), vault);
  assert.deepEqual(Deno.readFileSync(`${t.home}/vault.enc.bak`), backup);
});

Deno.test("a master.key readable by others fails 'permissions' with the chmod fix", async () => {
  await using t = await healthyHome();
  const key = `${t.home}/master.key`;
  Deno.chmodSync(key, 0o644);
  const checks = byName(await runDoctor(t.ctx));
  assert.equal(checks.permissions.ok, false);
  assert.ok(checks.permissions.detail.includes(key), checks.permissions.detail);
  assert.equal(checks.permissions.hint, `chmod 600 ${key}`);
  assert.equal(checks.home.ok, true);
});

Deno.test("a home readable by others fails 'home'", async () => {
  await using t = await healthyHome();
  Deno.chmodSync(t.home, 0o755);
  const checks = byName(await runDoctor(t.ctx));
  assert.equal(checks.home.ok, false);
  assert.equal(checks.home.hint, `chmod 700 ${t.home}`);
});

Deno.test("a corrupt vault fails 'vault' with the restore hint", async () => {
  await using t = await healthyHome();
  const path = `${t.home}/vault.enc`;
  const bytes = Deno.readFileSync(path);
  bytes[bytes.length - 1] ^= 0xff;
  Deno.writeFileSync(path, bytes, { mode: 0o600 });
  const checks = byName(await runDoctor(t.ctx));
  assert.equal(checks.vault.ok, false);
  assert.match(checks.vault.detail, /corrupt/);
  assert.match(checks.vault.hint ?? "", /vault\.enc\.bak/);
  assert.equal(checks.permissions.ok, true);
  assert.equal(checks.providers.ok, true);
});

Deno.test("an invalid custom provider file fails 'providers' and names the file", async () => {
  await using t = await healthyHome();
  await writeCustomProvider(t.home, { name: "broken", schema_version: 1 });
  const checks = byName(await runDoctor(t.ctx));
  assert.equal(checks.providers.ok, false);
  assert.ok(
    checks.providers.detail.includes(`${t.home}/providers/broken.json`),
    checks.providers.detail,
  );
  assert.match(checks.providers.hint ?? "", /authsome register/);
  // The rest of the home is fine.
  assert.equal(checks.vault.ok, true);
  assert.equal(checks.permissions.ok, true);
});

Deno.test("an unreadable audit line fails 'logs'", async () => {
  await using t = await healthyHome();
  Deno.writeTextFileSync(`${t.home}/audit.log`, "{not json\n", { append: true });
  const checks = byName(await runDoctor(t.ctx));
  assert.equal(checks.logs.ok, false);
  assert.match(checks.logs.detail, /1 unreadable lines/);
});

Deno.test("a missing home fails 'home' with 'authsome init', and doctor does not create it", async () => {
  await using t = await testContext({ keyFile: true });
  const checks = byName(await runDoctor(t.ctx));
  assert.equal(checks.home.ok, false);
  assert.match(checks.home.detail, /does not exist/);
  assert.equal(checks.home.hint, "authsome init");
  assert.equal(checks.permissions.ok, true);
  assert.equal(checks.vault.ok, true);
  assert.equal(checks.providers.ok, true);
  let exists = true;
  try {
    Deno.statSync(t.home);
  } catch {
    exists = false;
  }
  assert.equal(exists, false, "doctor must not create the home");
});

Deno.test("temp vault copies left by killed writes fail 'leftovers'; authsome init removes them", async () => {
  await using t = await healthyHome();
  const copy = ".vault.enc.4242.9f1c2d.tmp";
  Deno.copyFileSync(`${t.home}/vault.enc`, `${t.home}/${copy}`);
  const leftovers = byName(await runDoctor(t.ctx)).leftovers;
  assert.equal(leftovers.ok, false);
  assert.match(leftovers.detail, /1 temp vault copy left by interrupted writes/);
  assert.ok(leftovers.detail.includes(copy), leftovers.detail);
  assert.match(leftovers.hint ?? "", /^authsome init/);
  await initializeHome(t.ctx);
  assert.ok(byName(await runDoctor(t.ctx)).leftovers.ok);
  assert.ok(![...Deno.readDirSync(t.home)].some((e) => e.name === copy));
});
