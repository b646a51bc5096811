import assert from "node:assert/strict";
import {
  DaemonUnavailableError,
  KeySourceError,
  UnsafePermissionsError,
  WrongKeyError,
} from "../../src/errors.ts";
import { homePaths } from "../../src/model/home.ts";
import { passphraseKey } from "../../src/vault/crypto.ts";
import { Kdf, KeySource, type KeySourceId, type VaultHeader } from "../../src/vault/format.ts";
import {
  decodeKey,
  encodeKey,
  keyFromPassphrase,
  resolveKey,
  selectedKeySource,
  unlockProof,
  wrongKey,
} from "../../src/vault/key_source.ts";
import { Vault } from "../../src/vault/vault.ts";
import { fakePlatform, tempHome } from "../_fakes/platform.ts";

Deno.test.sanitizer?.({ ops: true, resources: true });

const KEY = Uint8Array.from({ length: 32 }, (_, i) => (i * 7 + 3) & 0xff);
const KEY_TEXT = encodeKey(KEY);

function header(keySource: KeySourceId, overrides: Partial<VaultHeader> = {}): VaultHeader {
  const passphrase = keySource === KeySource.passphrase;
  return {
    keySource,
    kdf: passphrase ? Kdf.pbkdf2Sha256 : Kdf.none,
    iterations: passphrase ? 600_000 : 0,
    salt: passphrase ? new Uint8Array(16).fill(9) : new Uint8Array(16),
    keyId: new Uint8Array(16),
    recordCount: 0,
    generation: 1n,
    ...overrides,
  };
}

Deno.test("decodeKey accepts canonical base64 of 32 bytes, surrounding whitespace trimmed", () => {
  assert.equal(KEY_TEXT.length, 44);
  assert.deepEqual(decodeKey(KEY_TEXT), KEY);
  assert.deepEqual(decodeKey(`  ${KEY_TEXT}\n`), KEY);
  assert.deepEqual(decodeKey(`\t${KEY_TEXT}\r\n`), KEY);
});

Deno.test("decodeKey refuses wrong lengths, other alphabets and non-canonical padding bits", () => {
  const k31 = encodeKey(KEY.subarray(0, 31));
  const k33 = encodeKey(Uint8Array.of(...KEY, 1));
  assert.equal(decodeKey(k31), null);
  assert.equal(decodeKey(k33), null);
  assert.equal(decodeKey(""), null);
  assert.equal(decodeKey(KEY_TEXT.slice(0, 43)), null, "missing padding");
  assert.equal(decodeKey(`${KEY_TEXT}=`), null);
  // URL-safe alphabet is not the stored format.
  const urlSafe = encodeKey(new Uint8Array(32).fill(0xfb)).replace(/\+/g, "-").replace(/\//g, "_");
  assert.equal(decodeKey(urlSafe), null);
  // Whitespace inside the key.
  assert.equal(decodeKey(`${KEY_TEXT.slice(0, 10)} ${KEY_TEXT.slice(10)}`), null);
  // The last character carries 4 data bits and 2 padding bits that must be zero: "A" -> "B"
  // decodes to the same bytes but is not the canonical encoding.
  const zero = encodeKey(new Uint8Array(32));
  assert.equal(zero, `${"A".repeat(43)}=`);
  assert.deepEqual(decodeKey(zero), new Uint8Array(32));
  assert.equal(decodeKey(`${"A".repeat(42)}B=`), null);
});

Deno.test("selectedKeySource: AUTHSOME_MASTER_KEY, then AUTHSOME_PASSPHRASE, then the key file", () => {
  const env = (vars: Record<string, string>) => (name: string) => vars[name];
  assert.equal(selectedKeySource(env({})), KeySource.keyFile);
  assert.equal(selectedKeySource(env({ AUTHSOME_PASSPHRASE: "pw" })), KeySource.passphrase);
  assert.equal(selectedKeySource(env({ AUTHSOME_MASTER_KEY: "x" })), KeySource.envKey);
  assert.equal(
    selectedKeySource(env({ AUTHSOME_MASTER_KEY: "x", AUTHSOME_PASSPHRASE: "pw" })),
    KeySource.envKey,
  );
  // Empty values count as unset.
  assert.equal(
    selectedKeySource(env({ AUTHSOME_MASTER_KEY: "", AUTHSOME_PASSPHRASE: "" })),
    KeySource.keyFile,
  );
});

Deno.test("resolveKey creates master.key (0600) when no vault exists, and reuses it", async () => {
  await using temp = await tempHome();
  await Deno.mkdir(temp.home, { recursive: true, mode: 0o700 });
  const paths = homePaths(temp.home);
  const platform = fakePlatform();
  const first = await resolveKey(platform, paths, null);
  assert.equal(first.source, KeySource.keyFile);
  assert.equal(first.kdf, Kdf.none);
  assert.equal(first.iterations, 0);
  assert.deepEqual(first.salt, new Uint8Array(16));
  assert.equal(first.rawKey.length, 32);
  const text = await Deno.readTextFile(paths.masterKey);
  assert.deepEqual(decodeKey(text), first.rawKey);
  assert.equal((await Deno.stat(paths.masterKey)).mode! & 0o777, 0o600);
  const second = await resolveKey(platform, paths, header(KeySource.keyFile));
  assert.deepEqual(second.rawKey, first.rawKey);
});

Deno.test("resolveKey refuses a missing key file for an existing vault, and creates nothing", async () => {
  await using temp = await tempHome();
  await Deno.mkdir(temp.home, { recursive: true, mode: 0o700 });
  const paths = homePaths(temp.home);
  await assert.rejects(
    resolveKey(fakePlatform(), paths, header(KeySource.keyFile)),
    (error: unknown) => {
      assert.ok(error instanceof KeySourceError);
      assert.equal(error.exitCode, 7);
      assert.match(error.message, /master\.key is missing/);
      assert.match(error.hint ?? "", /Restore .*master\.key from your backup/);
      return true;
    },
  );
  await assert.rejects(Deno.stat(paths.masterKey), Deno.errors.NotFound);
});

Deno.test("resolveKey refuses a key file readable by others, or holding garbage", async () => {
  await using temp = await tempHome();
  await Deno.mkdir(temp.home, { recursive: true, mode: 0o700 });
  const paths = homePaths(temp.home);
  await Deno.writeTextFile(paths.masterKey, KEY_TEXT);
  await Deno.chmod(paths.masterKey, 0o644);
  await assert.rejects(resolveKey(fakePlatform(), paths, null), UnsafePermissionsError);
  await Deno.chmod(paths.masterKey, 0o600);
  assert.deepEqual((await resolveKey(fakePlatform(), paths, null)).rawKey, KEY);
  await Deno.writeTextFile(paths.masterKey, "not a key\n");
  await assert.rejects(resolveKey(fakePlatform(), paths, null), (error: unknown) => {
    assert.ok(error instanceof KeySourceError);
    assert.match(error.message, /does not hold a base64 32-byte key/);
    return true;
  });
});

Deno.test("resolveKey uses AUTHSOME_MASTER_KEY first and never writes master.key", async () => {
  await using temp = await tempHome();
  const paths = homePaths(temp.home);
  const platform = fakePlatform({
    env: { AUTHSOME_MASTER_KEY: ` ${KEY_TEXT}\n`, AUTHSOME_PASSPHRASE: "pw" },
  });
  const resolved = await resolveKey(platform, paths, null);
  assert.deepEqual(resolved.rawKey, KEY);
  assert.equal(resolved.source, KeySource.envKey);
  assert.equal(resolved.kdf, Kdf.none);
  // Also opens a vault sealed with the key file (the key id decides whether it is right).
  assert.equal(
    (await resolveKey(platform, paths, header(KeySource.keyFile))).source,
    KeySource.envKey,
  );
  await assert.rejects(Deno.stat(temp.home), Deno.errors.NotFound);
  const bad = fakePlatform({ env: { AUTHSOME_MASTER_KEY: "c2hvcnQ=" } });
  await assert.rejects(resolveKey(bad, paths, null), (error: unknown) => {
    assert.ok(error instanceof KeySourceError);
    assert.match(error.message, /AUTHSOME_MASTER_KEY must be the base64 encoding of 32 bytes/);
    assert.match(error.hint ?? "", /openssl rand -base64 32/);
    return true;
  });
});

Deno.test("resolveKey names the source a vault needs when another is selected", async () => {
  await using temp = await tempHome();
  const paths = homePaths(temp.home);
  const envKey = fakePlatform({ env: { AUTHSOME_MASTER_KEY: KEY_TEXT } });
  await assert.rejects(
    resolveKey(envKey, paths, header(KeySource.passphrase)),
    (error: unknown) => {
      assert.ok(error instanceof KeySourceError);
      assert.match(
        error.message,
        /sealed with the AUTHSOME_PASSPHRASE, but the AUTHSOME_MASTER_KEY/,
      );
      assert.match(error.hint ?? "", /export AUTHSOME_PASSPHRASE=/);
      return true;
    },
  );
  const passphrase = fakePlatform({ env: { AUTHSOME_PASSPHRASE: "correct horse" } });
  await assert.rejects(
    resolveKey(passphrase, paths, header(KeySource.envKey)),
    (error: unknown) => {
      assert.ok(error instanceof KeySourceError);
      assert.match(
        error.message,
        /sealed with the AUTHSOME_MASTER_KEY, but the AUTHSOME_PASSPHRASE/,
      );
      assert.match(error.hint ?? "", /export AUTHSOME_MASTER_KEY=/);
      return true;
    },
  );
  await assert.rejects(
    resolveKey(passphrase, paths, header(KeySource.keyFile)),
    (error: unknown) => {
      assert.ok(error instanceof KeySourceError);
      assert.match(error.message, /sealed with the key file \(master\.key\)/);
      assert.match(error.hint ?? "", /unset AUTHSOME_MASTER_KEY and AUTHSOME_PASSPHRASE/);
      return true;
    },
  );
  const none = fakePlatform();
  await assert.rejects(resolveKey(none, paths, header(KeySource.envKey)), (error: unknown) => {
    assert.ok(error instanceof KeySourceError);
    assert.match(error.message, /sealed with the AUTHSOME_MASTER_KEY, but the key file/);
    return true;
  });
  await assert.rejects(resolveKey(none, paths, header(KeySource.passphrase)), KeySourceError);
  // None of these created a key file.
  await assert.rejects(Deno.stat(paths.masterKey), Deno.errors.NotFound);
});

Deno.test("resolveKey derives a passphrase key with the vault's salt and iterations", async () => {
  await using temp = await tempHome();
  const paths = homePaths(temp.home);
  const salt = new Uint8Array(16).fill(9);
  const platform = fakePlatform({ env: { AUTHSOME_PASSPHRASE: "correct horse" } });
  const existing = await resolveKey(platform, paths, header(KeySource.passphrase, { salt }));
  assert.equal(existing.source, KeySource.passphrase);
  assert.equal(existing.kdf, Kdf.pbkdf2Sha256);
  assert.equal(existing.iterations, 600_000);
  assert.deepEqual(existing.salt, salt);
  assert.deepEqual(existing.rawKey, await passphraseKey("correct horse", salt, 600_000));
  // A new vault gets a fresh random salt and the minimum iteration count.
  const fresh = await resolveKey(platform, paths, null);
  assert.equal(fresh.iterations, 600_000);
  assert.equal(fresh.salt.length, 16);
  assert.notDeepEqual(fresh.salt, salt);
  assert.notDeepEqual(fresh.rawKey, existing.rawKey);
});

Deno.test("wrongKey explains each combination of sealing and selected source", () => {
  const paths = homePaths("/h");
  const cases: [KeySourceId, KeySourceId, RegExp, RegExp][] = [
    [
      KeySource.keyFile,
      KeySource.keyFile,
      /^wrong key: the key in \/h\/master\.key is not the key this vault was sealed with$/,
      /Restore \/h\/master\.key from your backup, or set AUTHSOME_MASTER_KEY to the right key/,
    ],
    [
      KeySource.keyFile,
      KeySource.envKey,
      /^wrong key: AUTHSOME_MASTER_KEY is not .* \(it was sealed with the key file \(master\.key\)\)$/,
      /unset AUTHSOME_MASTER_KEY \(this vault uses \/h\/master\.key\), or set it to the key in that file/,
    ],
    [
      KeySource.envKey,
      KeySource.envKey,
      /^wrong key: AUTHSOME_MASTER_KEY is not the key this vault was sealed with$/,
      /^Set AUTHSOME_MASTER_KEY to the value this vault was created with$/,
    ],
    [
      KeySource.passphrase,
      KeySource.passphrase,
      /^wrong key: AUTHSOME_PASSPHRASE is not the key this vault was sealed with$/,
      /^Set AUTHSOME_PASSPHRASE to the value this vault was created with$/,
    ],
    [
      KeySource.envKey,
      KeySource.keyFile,
      /the key in \/h\/master\.key is not .* \(it was sealed with the AUTHSOME_MASTER_KEY\)$/,
      /^Set AUTHSOME_MASTER_KEY to the value/,
    ],
    [
      KeySource.passphrase,
      KeySource.envKey,
      /AUTHSOME_MASTER_KEY is not .* \(it was sealed with the AUTHSOME_PASSPHRASE\)$/,
      /^Set AUTHSOME_PASSPHRASE to the value/,
    ],
  ];
  for (const [sealed, used, message, hint] of cases) {
    const error = wrongKey(header(sealed), used, paths);
    assert.ok(error instanceof WrongKeyError);
    assert.equal(error.code, "wrong_key");
    assert.equal(error.exitCode, 7);
    assert.match(error.message, message, `sealed ${sealed}, used ${used}`);
    assert.match(error.hint ?? "", hint, `sealed ${sealed}, used ${used}`);
  }
});

Deno.test("key mode daemon: without the passphrase, exit 9 with the unlock hint, and no master.key", async () => {
  await using temp = await tempHome();
  const paths = homePaths(temp.home);
  await Deno.mkdir(temp.home, { recursive: true });
  await Deno.writeTextFile(paths.config, JSON.stringify({ key_mode: "daemon" }));
  const none = fakePlatform();
  for (const existing of [header(KeySource.passphrase), null]) {
    await assert.rejects(resolveKey(none, paths, existing), (error: unknown) => {
      assert.ok(error instanceof DaemonUnavailableError);
      assert.equal(error.exitCode, 9);
      assert.match(error.message, /not on disk \(key mode daemon\)/);
      assert.equal(error.hint, "authsome daemon unlock");
      return true;
    });
  }
  await assert.rejects(Deno.stat(paths.masterKey), Deno.errors.NotFound);
  // Outside key mode daemon the old message stands (exit 7, which source the vault needs).
  await Deno.writeTextFile(paths.config, JSON.stringify({ key_mode: "passphrase" }));
  await assert.rejects(resolveKey(none, paths, header(KeySource.passphrase)), KeySourceError);
});

Deno.test("keyFromPassphrase checks the passphrase against the vault; unlockProof depends on the key only", async () => {
  await using temp = await tempHome();
  const paths = homePaths(temp.home);
  const platform = fakePlatform({ env: { AUTHSOME_PASSPHRASE: "correct horse" } });
  const vault = new Vault(platform, paths);
  await vault.initialize();
  const raw = await keyFromPassphrase(platform, paths, "correct horse");
  const proof = await unlockProof(raw);
  assert.equal(proof.length, 32);
  assert.deepEqual(
    await unlockProof(await keyFromPassphrase(platform, paths, "correct horse")),
    proof,
  );
  await assert.rejects(keyFromPassphrase(platform, paths, "wrong horse"), WrongKeyError);
  // The proof is in no file of the home (unlike the key id in the vault header).
  const vaultBytes = await Deno.readFile(paths.vault);
  assert.ok(!vaultBytes.toHex().includes(proof.toHex()));
});

Deno.test("keyFromPassphrase refuses a vault sealed with master.key, pointing at a new home", async () => {
  await using temp = await tempHome();
  const paths = homePaths(temp.home);
  const platform = fakePlatform();
  await new Vault(platform, paths).initialize();
  await assert.rejects(keyFromPassphrase(platform, paths, "x"), (error: unknown) => {
    assert.ok(error instanceof KeySourceError);
    assert.match(error.message, /sealed with the key file/);
    assert.match(error.hint ?? "", /AUTHSOME_HOME=<new dir> authsome daemon unlock/);
    return true;
  });
});
