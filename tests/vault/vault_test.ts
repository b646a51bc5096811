import assert from "node:assert/strict";
import {
  KeySourceError,
  UnsafePermissionsError,
  VaultCorruptError,
  VaultLockedError,
  VaultVersionError,
  WrongKeyError,
} from "../../src/errors.ts";
import { homePaths } from "../../src/model/home.ts";
import { Vault } from "../../src/vault/vault.ts";
import { encodeKey } from "../../src/vault/key_source.ts";
import { fakePlatform, tempHome } from "../_fakes/platform.ts";

Deno.test.sanitizer?.({ ops: true, resources: true });

const KEY_A = encodeKey(new Uint8Array(32).fill(7));
const KEY_B = encodeKey(new Uint8Array(32).fill(9));

function vaultWith(home: string, env: Record<string, string> = {}, lockTimeoutMs = 200) {
  const platform = fakePlatform({ env });
  return { platform, vault: new Vault(platform, homePaths(home), { lockTimeoutMs }) };
}

Deno.test("Vault stores, lists and deletes records across instances", async () => {
  await using dir = await tempHome();
  const { vault } = await vaultWith(dir.home);
  await vault.update((tx) => {
    tx.put("connection/default/openai/default", { api_key: "sk-one", extra_field: 1 });
    tx.put("connection/default/openai/ci", { api_key: "sk-two" });
    tx.put("client/default/github", { client_id: "abc" });
  });
  const { vault: again } = await vaultWith(dir.home);
  const snapshot = await again.read();
  assert.equal(snapshot.size, 3);
  assert.deepEqual(await snapshot.get("connection/default/openai/default"), {
    api_key: "sk-one",
    extra_field: 1,
  });
  assert.equal(await snapshot.get("connection/default/missing/default"), null);
  assert.deepEqual([...(await snapshot.list("connection/default/openai/")).keys()], [
    "connection/default/openai/ci",
    "connection/default/openai/default",
  ]);
  await again.update((tx) => tx.delete("connection/default/openai/ci"));
  assert.equal((await again.read()).size, 2);
});

Deno.test("Vault files are 0600, the home 0700, and the previous generation is kept", async () => {
  await using dir = await tempHome();
  const { vault } = await vaultWith(dir.home);
  await vault.update((tx) => tx.put("a", { v: 1 }));
  await vault.update((tx) => tx.put("a", { v: 2 }));
  const paths = homePaths(dir.home);
  assert.equal(Deno.statSync(paths.home).mode! & 0o777, 0o700);
  assert.equal(Deno.statSync(paths.vault).mode! & 0o777, 0o600);
  assert.equal(Deno.statSync(paths.masterKey).mode! & 0o777, 0o600);
  assert.equal(Deno.statSync(paths.vaultBackup).mode! & 0o777, 0o600);
  // The backup is the previous generation: swap it in and the old value reads back.
  Deno.copyFileSync(paths.vaultBackup, paths.vault);
  assert.deepEqual(await (await vaultWith(dir.home)).vault.read().then((s) => s.get("a")), {
    v: 1,
  });
});

Deno.test("Vault seals every record with a fresh nonce and hides record names", async () => {
  await using dir = await tempHome();
  const { vault } = await vaultWith(dir.home);
  await vault.update((tx) => tx.put("connection/default/secretprovider/x", { v: "visible?" }));
  const first = Deno.readFileSync(homePaths(dir.home).vault);
  await vault.update((tx) => tx.put("connection/default/secretprovider/x", { v: "visible?" }));
  const second = Deno.readFileSync(homePaths(dir.home).vault);
  const text = new TextDecoder("latin1").decode(second);
  assert.ok(!text.includes("secretprovider") && !text.includes("visible?"));
  assert.notDeepEqual(first.subarray(80, 92), second.subarray(80, 92));
});

async function corruptionCase(mutate: (bytes: Uint8Array) => Uint8Array) {
  await using dir = await tempHome();
  const { vault } = await vaultWith(dir.home);
  await vault.update((tx) => {
    tx.put("a", { v: 1 });
    tx.put("b", { v: 2 });
  });
  const path = homePaths(dir.home).vault;
  const bad = mutate(Deno.readFileSync(path));
  Deno.writeFileSync(path, bad);
  const fresh = (await vaultWith(dir.home)).vault;
  const error = await fresh.read().then((s) => s.get("a")).then(() => null, (e) => e);
  // A failed update must leave the damaged file exactly as it was.
  await assert.rejects(fresh.update((tx) => tx.put("c", { v: 3 })));
  assert.deepEqual(Deno.readFileSync(path), bad);
  return error;
}

Deno.test("Vault refuses a file with any single flipped byte", async () => {
  const size = await (async () => {
    await using dir = await tempHome();
    const { vault } = await vaultWith(dir.home);
    await vault.update((tx) => {
      tx.put("a", { v: 1 });
      tx.put("b", { v: 2 });
    });
    return Deno.statSync(homePaths(dir.home).vault).size;
  })();
  for (let offset = 0; offset < size; offset += 3) {
    const error = await corruptionCase((bytes) => {
      bytes[offset] ^= 0x01;
      return bytes;
    });
    assert.ok(error !== null, `flip at ${offset} went unnoticed`);
    if (offset >= 32 && offset < 48) assert.ok(error instanceof WrongKeyError, `key id ${offset}`);
    else if (offset === 8) assert.ok(error instanceof VaultVersionError);
    else assert.ok(error instanceof VaultCorruptError, `offset ${offset}: ${error}`);
  }
});

Deno.test("Vault refuses truncated, extended, empty and random files", async () => {
  for (const cut of [0, 1, 10, 63, 64, 70, 100, -1, -32, -33]) {
    const error = await corruptionCase((bytes) =>
      bytes.slice(0, cut < 0 ? bytes.length + cut : cut)
    );
    assert.ok(error instanceof VaultCorruptError, `cut ${cut}: ${error}`);
  }
  const extended = await corruptionCase((bytes) => new Uint8Array([...bytes, 0]));
  assert.match(String(extended.message), /unexpected bytes after the trailer/);
  const empty = await corruptionCase(() => new Uint8Array());
  assert.match(String(empty.message), /empty/);
  const random = await corruptionCase(() => crypto.getRandomValues(new Uint8Array(500)));
  assert.match(String(random.message), /not an authsome vault/);
});

Deno.test("Vault refuses an unknown version and out-of-range KDF parameters", async () => {
  const version = await corruptionCase((bytes) => {
    bytes[8] = 2;
    return bytes;
  });
  assert.ok(version instanceof VaultVersionError);
  const started = performance.now();
  const kdf = await corruptionCase((bytes) => {
    bytes[9] = 3; // passphrase
    bytes[10] = 1; // PBKDF2
    new DataView(bytes.buffer).setUint32(12, 0xffffffff);
    return bytes;
  });
  assert.ok(kdf instanceof VaultCorruptError);
  assert.match(kdf.message, /iterations 4294967295 out of range/);
  assert.ok(performance.now() - started < 1000, "refused without running the KDF");
});

Deno.test("Vault tells a wrong key apart from a corrupt file", async () => {
  await using dir = await tempHome();
  await (await vaultWith(dir.home, { AUTHSOME_MASTER_KEY: KEY_A })).vault.update((tx) =>
    tx.put("a", { v: 1 })
  );
  const wrong = await (await vaultWith(dir.home, { AUTHSOME_MASTER_KEY: KEY_B })).vault.read()
    .then(() => null, (e) => e);
  assert.ok(wrong instanceof WrongKeyError);
  assert.match(wrong.message, /AUTHSOME_MASTER_KEY is not the key this vault was sealed with/);
  assert.equal(wrong.exitCode, 7);
});

Deno.test("Vault names the key source it needs", async () => {
  await using dir = await tempHome();
  await (await vaultWith(dir.home, { AUTHSOME_MASTER_KEY: KEY_A })).vault.update((tx) =>
    tx.put("a", { v: 1 })
  );
  const noEnv = await (await vaultWith(dir.home)).vault.read().then(() => null, (e) => e);
  assert.ok(noEnv instanceof KeySourceError);
  assert.match(noEnv.message, /sealed with the AUTHSOME_MASTER_KEY/);
  assert.ok(!Deno.statSync(dir.home).isFile);
  const passphrase = await (await vaultWith(dir.home, { AUTHSOME_PASSPHRASE: "pw" })).vault.read()
    .then(() => null, (e) => e);
  assert.ok(passphrase instanceof KeySourceError);
  const badKey = await (await vaultWith(dir.home, { AUTHSOME_MASTER_KEY: "short" })).vault.read()
    .then(() => null, (e) => e);
  assert.ok(badKey instanceof KeySourceError);
  assert.match(badKey.message, /base64 encoding of 32 bytes/);
});

Deno.test("Vault opens with a passphrase (PBKDF2, 600,000 iterations) and rejects a wrong one", async () => {
  await using dir = await tempHome();
  await (await vaultWith(dir.home, { AUTHSOME_PASSPHRASE: "correct horse" })).vault.update((tx) =>
    tx.put("a", { v: 1 })
  );
  const bytes = Deno.readFileSync(homePaths(dir.home).vault);
  assert.equal(new DataView(bytes.buffer).getUint32(12), 600_000);
  const ok = await (await vaultWith(dir.home, { AUTHSOME_PASSPHRASE: "correct horse" })).vault
    .read();
  assert.deepEqual(await ok.get("a"), { v: 1 });
  const wrong = await (await vaultWith(dir.home, { AUTHSOME_PASSPHRASE: "battery" })).vault
    .read().then(() => null, (e) => e);
  assert.ok(wrong instanceof WrongKeyError);
  assert.match(wrong.message, /AUTHSOME_PASSPHRASE is not/);
});

Deno.test("Vault refuses a key file or vault readable by others", async () => {
  await using dir = await tempHome();
  const { vault } = await vaultWith(dir.home);
  await vault.update((tx) => tx.put("a", { v: 1 }));
  const paths = homePaths(dir.home);
  Deno.chmodSync(paths.masterKey, 0o644);
  const error = await (await vaultWith(dir.home)).vault.read().then(() => null, (e) => e);
  assert.ok(error instanceof UnsafePermissionsError);
  assert.equal(error.hint, `chmod 600 ${paths.masterKey}`);
  Deno.chmodSync(paths.masterKey, 0o600);
  Deno.chmodSync(paths.vault, 0o640);
  assert.ok(
    await (await vaultWith(dir.home)).vault.read().then(() => null, (e) => e) instanceof
      UnsafePermissionsError,
  );
});

Deno.test("Vault update fails with VaultLockedError while another holder has vault.lock", async () => {
  await using dir = await tempHome();
  const { vault, platform } = await vaultWith(dir.home, {}, 150);
  await vault.ensureHome();
  const held = await platform.fs.lock(homePaths(dir.home).vaultLock, 100);
  assert.ok(held);
  try {
    const error = await vault.update((tx) => tx.put("a", { v: 1 })).then(() => null, (e) => e);
    assert.ok(error instanceof VaultLockedError);
    assert.match(error.message, /locked by another authsome process/);
  } finally {
    await held.release();
  }
  await vault.update((tx) => tx.put("a", { v: 1 }));
  assert.deepEqual(await (await vault.read()).get("a"), { v: 1 });
});

Deno.test("Concurrent updates in one process serialise and lose nothing", async () => {
  await using dir = await tempHome();
  const { vault } = await vaultWith(dir.home, {}, 10_000);
  await Promise.all(
    Array.from({ length: 12 }, (_, i) => vault.update((tx) => tx.put(`r${i}`, { i }))),
  );
  assert.equal((await vault.read()).size, 12);
});
