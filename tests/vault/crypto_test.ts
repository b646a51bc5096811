import assert from "node:assert/strict";
import { VaultCorruptError } from "../../src/errors.ts";
import {
  constantTimeEqual,
  deriveVaultKeys,
  fileMac,
  openRecord,
  recordHash,
  sealRecord,
} from "../../src/vault/crypto.ts";
import { encodeHeader, Kdf, KeySource, type SealedRecord } from "../../src/vault/format.ts";

Deno.test.sanitizer?.({ ops: true, resources: true });

const KEY_A = Uint8Array.from({ length: 32 }, (_, i) => i);
const KEY_B = Uint8Array.from({ length: 32 }, (_, i) => 255 - i);
const encoder = new TextEncoder();
const decoder = new TextDecoder();

function header(keyId: Uint8Array): Uint8Array {
  return encodeHeader({
    keySource: KeySource.envKey,
    kdf: Kdf.none,
    iterations: 0,
    salt: new Uint8Array(16),
    keyId,
    recordCount: 1,
    generation: 1n,
  });
}

function nonce(fill: number) {
  return new Uint8Array(12).fill(fill);
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

async function assertCorrupt(promise: Promise<unknown>) {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof VaultCorruptError, `expected VaultCorruptError, got ${error}`);
    assert.match(error.message, /integrity check/);
    assert.equal(error.exitCode, 7);
    return true;
  });
}

Deno.test("deriveVaultKeys gives a deterministic 16-byte key id per key", async () => {
  const a1 = await deriveVaultKeys(KEY_A);
  const a2 = await deriveVaultKeys(KEY_A.slice());
  const b = await deriveVaultKeys(KEY_B);
  assert.equal(a1.keyId.length, 16);
  assert.deepEqual(a1.keyId, a2.keyId);
  assert.notDeepEqual(a1.keyId, b.keyId);
  // The id is the first 16 bytes of HKDF-SHA256(key, info "authsome/v1/keys"), computed here
  // independently, so a change of derivation (which would orphan every vault) is caught.
  const master = await crypto.subtle.importKey("raw", KEY_A, "HKDF", false, ["deriveBits"]);
  const bits = new Uint8Array(
    await crypto.subtle.deriveBits(
      {
        name: "HKDF",
        hash: "SHA-256",
        salt: new Uint8Array(0),
        info: encoder.encode("authsome/v1/keys"),
      },
      master,
      128,
    ),
  );
  assert.equal(hex(a1.keyId), hex(bits));
});

Deno.test("sealRecord and openRecord round-trip a record", async () => {
  const keys = await deriveVaultKeys(KEY_A);
  const staticHeader = header(keys.keyId);
  const hash = await recordHash(keys, "connection/default/github/default");
  const plaintext = encoder.encode('{"access_token":"gho_example"}');
  const sealed = await sealRecord(keys, staticHeader, hash, plaintext, nonce(1));
  assert.equal(sealed.ciphertext.length, plaintext.length + 16);
  assert.ok(!decoder.decode(sealed.ciphertext).includes("gho_example"));
  assert.deepEqual(sealed.hash, hash);
  assert.deepEqual(sealed.nonce, nonce(1));
  const opened = await openRecord(keys, staticHeader, sealed);
  assert.equal(decoder.decode(opened), '{"access_token":"gho_example"}');
  // A different nonce gives a different ciphertext of the same plaintext.
  const again = await sealRecord(keys, staticHeader, hash, plaintext, nonce(2));
  assert.notDeepEqual(again.ciphertext, sealed.ciphertext);
});

Deno.test("openRecord refuses tampered ciphertext, tag, nonce, hash and header", async () => {
  const keys = await deriveVaultKeys(KEY_A);
  const staticHeader = header(keys.keyId);
  const hash = await recordHash(keys, "client/default/github");
  const sealed = await sealRecord(keys, staticHeader, hash, encoder.encode("{}"), nonce(3));
  const flip = (bytes: Uint8Array, at: number) => {
    const copy = bytes.slice();
    copy[at] ^= 1;
    return copy;
  };
  const variants: SealedRecord[] = [
    { ...sealed, ciphertext: flip(sealed.ciphertext, 0) },
    { ...sealed, ciphertext: flip(sealed.ciphertext, sealed.ciphertext.length - 1) },
    { ...sealed, ciphertext: sealed.ciphertext.subarray(0, sealed.ciphertext.length - 1) },
    { ...sealed, nonce: flip(sealed.nonce, 5) },
    // Moving a record under another record's hash (part of the additional data).
    { ...sealed, hash: await recordHash(keys, "client/default/gitlab") },
  ];
  for (const variant of variants) await assertCorrupt(openRecord(keys, staticHeader, variant));
  // Every byte of the static header (magic, version, key source, KDF, salt, key id) is bound.
  for (const at of [0, 8, 9, 10, 12, 16, 32, 47]) {
    await assertCorrupt(openRecord(keys, flip(staticHeader, at), sealed));
  }
  // The wrong key cannot open it either.
  await assertCorrupt(openRecord(await deriveVaultKeys(KEY_B), staticHeader, sealed));
  // The untouched record still opens.
  assert.equal(decoder.decode(await openRecord(keys, staticHeader, sealed)), "{}");
});

Deno.test("recordHash is deterministic, 16 bytes, and keyed", async () => {
  const a = await deriveVaultKeys(KEY_A);
  const b = await deriveVaultKeys(KEY_B);
  const h1 = await recordHash(a, "connection/default/github/default");
  const h2 = await recordHash(await deriveVaultKeys(KEY_A), "connection/default/github/default");
  assert.equal(h1.length, 16);
  assert.deepEqual(h1, h2);
  assert.notDeepEqual(h1, await recordHash(a, "connection/default/github/work"));
  assert.notDeepEqual(h1, await recordHash(b, "connection/default/github/default"));
  // The record name does not appear in its hash.
  assert.ok(!decoder.decode(h1).includes("github"));
});

Deno.test("fileMac is keyed and covers every byte", async () => {
  const a = await deriveVaultKeys(KEY_A);
  const data = encoder.encode("header and records");
  const mac = await fileMac(a, data);
  assert.equal(mac.length, 32);
  assert.deepEqual(mac, await fileMac(await deriveVaultKeys(KEY_A), data));
  assert.notDeepEqual(mac, await fileMac(await deriveVaultKeys(KEY_B), data));
  assert.notDeepEqual(mac, await fileMac(a, encoder.encode("header and recordS")));
});

Deno.test("constantTimeEqual compares contents and lengths", () => {
  assert.equal(constantTimeEqual(new Uint8Array(0), new Uint8Array(0)), true);
  assert.equal(constantTimeEqual(Uint8Array.of(1, 2, 3), Uint8Array.of(1, 2, 3)), true);
  assert.equal(constantTimeEqual(Uint8Array.of(1, 2, 3), Uint8Array.of(1, 2, 4)), false);
  assert.equal(constantTimeEqual(Uint8Array.of(0, 2, 3), Uint8Array.of(1, 2, 3)), false);
  assert.equal(constantTimeEqual(Uint8Array.of(1, 2), Uint8Array.of(1, 2, 0)), false);
  assert.equal(constantTimeEqual(Uint8Array.of(1, 2, 0), Uint8Array.of(1, 2)), false);
});
