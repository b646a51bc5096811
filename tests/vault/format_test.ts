import assert from "node:assert/strict";
import { VaultCorruptError, VaultError, VaultVersionError } from "../../src/errors.ts";
import {
  checkKdfParameters,
  decodeHeader,
  decodeVault,
  encodeChangedVault,
  encodeHeader,
  findRecord,
  HEADER_LENGTH,
  Kdf,
  KeySource,
  MAC_LENGTH,
  MAX_RECORD_CIPHERTEXT,
  MAX_RECORDS,
  RECORD_PREFIX_LENGTH,
  recordAt,
  recordCount,
  type SealedRecord,
  type VaultHeader,
} from "../../src/vault/format.ts";
import { encodeVault, sortRecords } from "./_reference_layout.ts";

Deno.test.sanitizer?.({ ops: true, resources: true });

function rawHeader(overrides: Partial<VaultHeader> = {}): VaultHeader {
  return {
    keySource: KeySource.keyFile,
    kdf: Kdf.none,
    iterations: 0,
    salt: new Uint8Array(16),
    keyId: Uint8Array.from({ length: 16 }, (_, i) => i + 1),
    recordCount: 0,
    generation: 7n,
    ...overrides,
  };
}

function passphraseHeader(overrides: Partial<VaultHeader> = {}): VaultHeader {
  return rawHeader({
    keySource: KeySource.passphrase,
    kdf: Kdf.pbkdf2Sha256,
    iterations: 600_000,
    salt: Uint8Array.from({ length: 16 }, (_, i) => 200 + i),
    ...overrides,
  });
}

function record(first: number, length = 20): SealedRecord {
  const hash = new Uint8Array(16);
  hash[0] = first;
  return {
    hash,
    nonce: new Uint8Array(12).fill(first),
    ciphertext: new Uint8Array(length).fill(first),
  };
}

function setUint32(bytes: Uint8Array, offset: number, value: number) {
  new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).setUint32(offset, value);
}

function assertCorrupt(fn: () => unknown, pattern: RegExp) {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof VaultCorruptError, `expected VaultCorruptError, got ${error}`);
    assert.match(error.message, pattern);
    assert.equal(error.exitCode, 7);
    return true;
  });
}

/** A file of `records` with an all-zero trailer. */
function vaultFile(records: SealedRecord[], header: Partial<VaultHeader> = {}): Uint8Array {
  return encodeVault(encodeHeader(rawHeader({ recordCount: records.length, ...header })), records);
}

Deno.test("encodeHeader and decodeHeader round-trip a raw-key header", () => {
  const header = rawHeader({ keySource: KeySource.envKey, recordCount: 42, generation: 2n ** 40n });
  const bytes = encodeHeader(header);
  assert.equal(bytes.length, HEADER_LENGTH);
  assert.deepEqual(new TextDecoder().decode(bytes.subarray(0, 8)), "AUTHSOME");
  assert.equal(bytes[8], 1);
  assert.deepEqual(decodeHeader(bytes), header);
});

Deno.test("encodeHeader and decodeHeader round-trip a passphrase header", () => {
  const header = passphraseHeader({ iterations: 10_000_000, recordCount: MAX_RECORDS });
  assert.deepEqual(decodeHeader(encodeHeader(header)), header);
});

Deno.test("decodeHeader refuses an empty or truncated file", () => {
  assertCorrupt(() => decodeHeader(new Uint8Array(0)), /empty/);
  assertCorrupt(() => decodeHeader(encodeHeader(rawHeader()).subarray(0, 63)), /truncated \(63/);
});

Deno.test("decodeHeader refuses a bad magic", () => {
  const bytes = encodeHeader(rawHeader());
  bytes[0] = "X".charCodeAt(0);
  assertCorrupt(() => decodeHeader(bytes), /bad magic/);
});

Deno.test("decodeHeader refuses an unknown format version with VaultVersionError", () => {
  for (const version of [0, 2, 255]) {
    const bytes = encodeHeader(rawHeader());
    bytes[8] = version;
    assert.throws(() => decodeHeader(bytes), (error: unknown) => {
      assert.ok(error instanceof VaultVersionError);
      assert.equal(error.code, "vault_version");
      assert.equal(error.exitCode, 7);
      assert.match(error.message, new RegExp(`version ${version}`));
      assert.match(error.hint ?? "", /Upgrade/);
      return true;
    });
  }
});

Deno.test("decodeHeader refuses non-zero flags and reserved bytes", () => {
  const flags = encodeHeader(rawHeader());
  flags[11] = 0x80;
  assertCorrupt(() => decodeHeader(flags), /unknown flags 0x80/);
  for (const at of [60, 61, 62, 63]) {
    const reserved = encodeHeader(rawHeader());
    reserved[at] = 1;
    assertCorrupt(() => decodeHeader(reserved), /reserved/);
  }
});

Deno.test("decodeHeader refuses KDF and key-source mismatches", () => {
  const unknownSource = encodeHeader(rawHeader());
  unknownSource[9] = 4;
  assertCorrupt(() => decodeHeader(unknownSource), /unknown key source 4/);
  const zeroSource = encodeHeader(rawHeader());
  zeroSource[9] = 0;
  assertCorrupt(() => decodeHeader(zeroSource), /unknown key source 0/);
  // A passphrase vault must use PBKDF2.
  assertCorrupt(
    () => decodeHeader(encodeHeader(rawHeader({ keySource: KeySource.passphrase }))),
    /passphrase vault without a KDF/,
  );
  // A raw-key vault must not.
  assertCorrupt(
    () => decodeHeader(encodeHeader(passphraseHeader({ keySource: KeySource.keyFile }))),
    /KDF set on a raw-key vault/,
  );
  assertCorrupt(
    () => decodeHeader(encodeHeader(passphraseHeader({ keySource: KeySource.envKey }))),
    /KDF set on a raw-key vault/,
  );
  assertCorrupt(
    () => decodeHeader(encodeHeader(rawHeader({ iterations: 1 }))),
    /iterations set without a KDF/,
  );
  const unknownKdf = encodeHeader(passphraseHeader());
  unknownKdf[10] = 2;
  assertCorrupt(() => decodeHeader(unknownKdf), /unknown KDF 2/);
  const salted = encodeHeader(rawHeader({ salt: new Uint8Array(16).fill(1) }));
  assertCorrupt(() => decodeHeader(salted), /salt set without a KDF/);
});

Deno.test("decodeHeader refuses PBKDF2 iterations outside 600,000..10,000,000", () => {
  for (const iterations of [0, 1, 599_999, 10_000_001, 0xffffffff]) {
    assertCorrupt(
      () => decodeHeader(encodeHeader(passphraseHeader({ iterations }))),
      /iterations .* out of range 600000\.\.10000000/,
    );
  }
  for (const iterations of [600_000, 600_001, 9_999_999, 10_000_000]) {
    assert.equal(
      decodeHeader(encodeHeader(passphraseHeader({ iterations }))).iterations,
      iterations,
    );
  }
});

Deno.test("decodeHeader refuses a record count above 1,000,000", () => {
  assertCorrupt(
    () => decodeHeader(encodeHeader(rawHeader({ recordCount: MAX_RECORDS + 1 }))),
    /record count 1000001 is out of range/,
  );
});

Deno.test("checkKdfParameters accepts valid combinations and refuses the rest", () => {
  checkKdfParameters(KeySource.keyFile, Kdf.none, 0);
  checkKdfParameters(KeySource.envKey, Kdf.none, 0);
  checkKdfParameters(KeySource.passphrase, Kdf.pbkdf2Sha256, 600_000);
  checkKdfParameters(KeySource.passphrase, Kdf.pbkdf2Sha256, 10_000_000);
  assertCorrupt(() => checkKdfParameters(9, Kdf.none, 0), /unknown key source 9/);
  assertCorrupt(() => checkKdfParameters(KeySource.passphrase, Kdf.none, 0), /without a KDF/);
  assertCorrupt(() => checkKdfParameters(KeySource.keyFile, Kdf.none, 600_000), /iterations/);
  assertCorrupt(() => checkKdfParameters(KeySource.keyFile, Kdf.pbkdf2Sha256, 600_000), /raw-key/);
  assertCorrupt(() => checkKdfParameters(KeySource.passphrase, 7, 600_000), /unknown KDF 7/);
  assertCorrupt(
    () => checkKdfParameters(KeySource.passphrase, Kdf.pbkdf2Sha256, 599_999),
    /out of range/,
  );
  assertCorrupt(
    () => checkKdfParameters(KeySource.passphrase, Kdf.pbkdf2Sha256, 10_000_001),
    /out of range/,
  );
});

Deno.test("decodeVault reads back what encodeVault laid out", () => {
  const records = sortRecords([record(9, 40), record(3), record(200, 17)]);
  assert.deepEqual(records.map((r) => r.hash[0]), [3, 9, 200]);
  const bytes = vaultFile(records);
  assert.equal(bytes.length, HEADER_LENGTH + 3 * RECORD_PREFIX_LENGTH + 20 + 40 + 17 + MAC_LENGTH);
  const decoded = decodeVault(bytes);
  assert.equal(recordCount(decoded), 3);
  assert.equal(decoded.header.generation, 7n);
  assert.equal(decoded.mac.length, MAC_LENGTH);
  assert.equal(decoded.authenticated.length, bytes.length - MAC_LENGTH);
  for (let i = 0; i < 3; i++) assert.deepEqual(recordAt(decoded, i), records[i]);
  assert.deepEqual(findRecord(decoded, record(9).hash)?.ciphertext, new Uint8Array(40).fill(9));
  assert.equal(findRecord(decoded, record(10).hash), null);
});

Deno.test("decodeVault accepts an empty vault", () => {
  const decoded = decodeVault(vaultFile([]));
  assert.equal(recordCount(decoded), 0);
  assert.equal(findRecord(decoded, record(1).hash), null);
});

Deno.test("decodeVault refuses impossible record lengths", () => {
  for (const length of [0, 16, 16 * 1024 * 1024 + 1]) {
    const bytes = vaultFile([record(1, 20)]);
    setUint32(bytes, HEADER_LENGTH + 28, length);
    assertCorrupt(
      () => decodeVault(bytes),
      new RegExp(`record 1 has an impossible length ${length}`),
    );
  }
  // 17 (one byte of plaintext plus the tag) is the smallest possible record.
  assert.equal(recordCount(decodeVault(vaultFile([record(1, 17)]))), 1);
});

Deno.test("decodeVault refuses records out of order or duplicated", () => {
  assertCorrupt(() => decodeVault(vaultFile([record(5), record(4)])), /out of order or duplicated/);
  assertCorrupt(() => decodeVault(vaultFile([record(5), record(5)])), /out of order or duplicated/);
});

Deno.test("decodeVault refuses truncated files", () => {
  const full = vaultFile([record(1), record(2)]);
  // Inside the second record's prefix.
  assertCorrupt(
    () => decodeVault(full.slice(0, HEADER_LENGTH + RECORD_PREFIX_LENGTH + 20 + 10)),
    /truncated \(record 2 of 2\)/,
  );
  // Inside the second record's ciphertext.
  assertCorrupt(
    () => decodeVault(full.slice(0, HEADER_LENGTH + 2 * RECORD_PREFIX_LENGTH + 25)),
    /truncated \(record 2 of 2\)/,
  );
  // Trailer cut short.
  assertCorrupt(() => decodeVault(full.slice(0, full.length - 1)), /no trailer/);
  // A header that promises more records than the file holds.
  assertCorrupt(
    () => decodeVault(vaultFile([record(1)], { recordCount: 2 })),
    /truncated|impossible length/,
  );
});

Deno.test("decodeVault refuses bytes after the trailer", () => {
  const full = vaultFile([record(1)]);
  const extended = new Uint8Array(full.length + 3);
  extended.set(full);
  assertCorrupt(() => decodeVault(extended), /3 unexpected bytes after the trailer/);
  // A header claiming fewer records than present leaves bytes over too.
  assertCorrupt(
    () => decodeVault(vaultFile([record(1), record(2)], { recordCount: 1 })),
    /unexpected bytes after the trailer/,
  );
});

Deno.test("corruption errors carry the restore hint", () => {
  const bytes = encodeHeader(rawHeader());
  bytes[0] = 0;
  assert.throws(() => decodeHeader(bytes), (error: unknown) => {
    assert.ok(error instanceof VaultCorruptError);
    assert.equal(error.code, "vault_corrupt");
    assert.match(error.hint ?? "", /cp vault\.enc\.bak vault\.enc/);
    return true;
  });
});

Deno.test("encodeChangedVault lays out exactly what re-encoding the merged record set gives", () => {
  let seed = 11;
  const next = (n: number) => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed % n;
  };
  const randomRecord = (): SealedRecord => {
    const hash = Uint8Array.from({ length: 16 }, () => next(4)); // small alphabet: ties in the head
    return {
      hash,
      nonce: new Uint8Array(12).fill(next(256)),
      ciphertext: new Uint8Array(17 + next(30)).fill(next(256)),
    };
  };
  const key = (hash: Uint8Array) => hash.join(",");
  for (let round = 0; round < 300; round++) {
    const existing = new Map<string, SealedRecord>();
    for (let i = next(12); i > 0; i--) {
      const r = randomRecord();
      existing.set(key(r.hash), r);
    }
    const baseRecords = sortRecords([...existing.values()]);
    const base = round % 7 === 0 && baseRecords.length === 0
      ? null
      : decodeVault(vaultFile(baseRecords));
    const changes = new Map<string, { hash: Uint8Array; record: SealedRecord | null }>();
    for (let i = next(5); i > 0; i--) {
      // Replace or delete an existing record, or add or "delete" an absent one.
      const pick = baseRecords.length > 0 && next(2) === 0
        ? baseRecords[next(baseRecords.length)].hash
        : randomRecord().hash;
      const record = next(3) === 0 ? null : { ...randomRecord(), hash: pick };
      changes.set(key(pick), { hash: pick, record });
    }
    const merged = new Map(existing);
    for (const [k, change] of changes) {
      if (change.record) merged.set(k, change.record);
      else merged.delete(k);
    }
    const expected = vaultFile(sortRecords([...merged.values()]), { generation: 8n });
    const actual = encodeChangedVault(
      base,
      [...changes.values()],
      (recordCount) => encodeHeader(rawHeader({ recordCount, generation: 8n })),
    );
    assert.deepEqual(actual, expected, `round ${round}`);
  }
});

Deno.test("encodeChangedVault starts a new vault from nothing", () => {
  const file = encodeChangedVault(
    null,
    [{ hash: record(5).hash, record: record(5) }, { hash: record(2).hash, record: null }],
    (recordCount) => encodeHeader(rawHeader({ recordCount })),
  );
  assert.deepEqual(file, vaultFile([record(5)]));
});

Deno.test("encodeChangedVault refuses a record the reader would refuse, instead of writing it", () => {
  const huge: SealedRecord = {
    hash: record(1).hash,
    nonce: new Uint8Array(12),
    ciphertext: new Uint8Array(MAX_RECORD_CIPHERTEXT + 1),
  };
  assert.throws(
    () =>
      encodeChangedVault(
        null,
        [{ hash: huge.hash, record: huge }],
        (n) => encodeHeader(rawHeader({ recordCount: n })),
      ),
    (error: unknown) => {
      assert.ok(error instanceof VaultError);
      assert.match(error.message, /over the vault's limit of 16777216 bytes; nothing was written/);
      return true;
    },
  );
  const largest: SealedRecord = { ...huge, ciphertext: new Uint8Array(MAX_RECORD_CIPHERTEXT) };
  const file = encodeChangedVault(
    null,
    [{ hash: largest.hash, record: largest }],
    (n) => encodeHeader(rawHeader({ recordCount: n })),
  );
  assert.equal(recordCount(decodeVault(file)), 1, "the largest allowed record reads back");
});
