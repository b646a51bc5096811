/**
 * The `vault.enc` file format, version 1. Pure encoding and strict decoding; no crypto here
 * (see `crypto.ts`), no I/O.
 *
 * Every record (a connection, an OAuth client, provider metadata) is sealed on its own with
 * AES-256-GCM, so `get` decrypts only the records it needs: on a vault of 10,000 connections a
 * single sealed JSON document cost ~25 ms to decrypt and parse, against well under 1 ms for the
 * per-record layout (measured on the 2-core build machine; see README "Vault format").
 *
 * All integers are big-endian.
 *
 * ```
 * header (64 bytes)
 *   0   8  magic "AUTHSOME"
 *   8   1  format version = 1           other values: VaultVersionError
 *   9   1  key source: 1 key file (master.key), 2 AUTHSOME_MASTER_KEY, 3 AUTHSOME_PASSPHRASE
 *  10   1  kdf: 0 none (raw 32-byte key), 1 PBKDF2-HMAC-SHA256 (required for key source 3)
 *  11   1  flags = 0
 *  12   4  kdf iterations: 0 for kdf 0; 600,000..10,000,000 for kdf 1
 *  16  16  kdf salt: zero for kdf 0; random for kdf 1
 *  32  16  key id = the first 16 bytes of HKDF-SHA256(key, info "authsome/v1/keys") (see
 *          crypto.ts): tells a wrong key apart from a damaged file
 *  48   4  record count (at most 1,000,000)
 *  52   8  generation, +1 on every write
 *  60   4  reserved = 0
 * records, `record count` times, sorted by record hash, strictly ascending (no duplicates)
 *   0  16  record hash = HMAC-SHA256(index key, record id)[0..16)
 *  16  12  nonce, fresh random for every sealing
 *  28   4  ciphertext length n (17..16 MiB)
 *  32   n  AES-256-GCM ciphertext || 16-byte tag of the UTF-8 JSON record,
 *          additional data = header bytes 0..48 || record hash
 * trailer
 *   0  32  HMAC-SHA256(mac key, every byte of the file before the trailer)
 * ```
 *
 * The trailer binds the whole file: no byte can change, and records cannot be dropped,
 * duplicated, reordered or replayed from another generation, without the MAC failing; so a
 * writer never carries a damaged record into the next generation. (Hashing 4 MB costs about
 * 3 ms, measured; a MAC over the record tags alone would be cheaper but would let a damaged
 * record body pass until that record is decrypted.) The file length must equal exactly what
 * the header and lengths describe: truncated or extended files are refused.
 *
 * @module
 */
import { VaultCorruptError, VaultError, VaultVersionError } from "../errors.ts";

export const MAGIC = new TextEncoder().encode("AUTHSOME");
export const FORMAT_VERSION = 1;
export const HEADER_LENGTH = 64;
/** The header prefix that every record's additional data starts with. */
export const STATIC_HEADER_LENGTH = 48;
export const RECORD_HASH_LENGTH = 16;
export const NONCE_LENGTH = 12;
export const TAG_LENGTH = 16;
export const RECORD_PREFIX_LENGTH = RECORD_HASH_LENGTH + NONCE_LENGTH + 4;
export const MAC_LENGTH = 32;
export const MAX_RECORDS = 1_000_000;
export const MAX_RECORD_CIPHERTEXT = 16 * 1024 * 1024;
export const MIN_PBKDF2_ITERATIONS = 600_000;
export const MAX_PBKDF2_ITERATIONS = 10_000_000;
export const KDF_SALT_LENGTH = 16;
export const KEY_ID_LENGTH = 16;

/** Where the vault key comes from. */
export const KeySource = { keyFile: 1, envKey: 2, passphrase: 3 } as const;
export type KeySourceId = typeof KeySource[keyof typeof KeySource];

/** Key-derivation function of the header. */
export const Kdf = { none: 0, pbkdf2Sha256: 1 } as const;
export type KdfId = typeof Kdf[keyof typeof Kdf];

/** The decoded header. */
export interface VaultHeader {
  keySource: KeySourceId;
  kdf: KdfId;
  iterations: number;
  salt: Uint8Array;
  keyId: Uint8Array;
  recordCount: number;
  generation: bigint;
}

/** One sealed record as stored. */
export interface SealedRecord {
  hash: Uint8Array;
  nonce: Uint8Array;
  /** Ciphertext followed by the 16-byte tag. */
  ciphertext: Uint8Array;
}

/**
 * A decoded file. Records are indexed by offset only: views are made on demand, so opening a
 * 10,000-record vault to read one record does not allocate 30,000 objects.
 */
export interface DecodedVault {
  header: VaultHeader;
  headerBytes: Uint8Array;
  /** The whole file. */
  bytes: Uint8Array;
  /** Offset of each record (its hash) in `bytes`, in file (= hash) order. */
  offsets: Uint32Array;
  /** The bytes the trailer MAC covers (everything before it). */
  authenticated: Uint8Array;
  mac: Uint8Array;
}

/** Number of records of a decoded file. */
export function recordCount(decoded: DecodedVault): number {
  return decoded.offsets.length;
}

/** A view of the i-th record (no copy). */
export function recordAt(decoded: DecodedVault, index: number): SealedRecord {
  const { bytes } = decoded;
  const offset = decoded.offsets[index];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const length = view.getUint32(offset + RECORD_HASH_LENGTH + NONCE_LENGTH);
  const start = offset + RECORD_PREFIX_LENGTH;
  return {
    hash: bytes.subarray(offset, offset + RECORD_HASH_LENGTH),
    nonce: bytes.subarray(offset + RECORD_HASH_LENGTH, offset + RECORD_HASH_LENGTH + NONCE_LENGTH),
    ciphertext: bytes.subarray(start, start + length),
  };
}

/** Compares the hash at `offset` in `bytes` with `hash`. */
function compareHashAt(bytes: Uint8Array, offset: number, hash: Uint8Array): number {
  for (let i = 0; i < RECORD_HASH_LENGTH; i++) {
    const d = bytes[offset + i] - hash[i];
    if (d !== 0) return d;
  }
  return 0;
}

/**
 * Compares two record hashes inside `bytes`. This runs once per record on every read, mostly
 * before V8 has optimised it, so the first four bytes (almost always decisive for random
 * hashes) are compared as one big-endian integer.
 */
function compareHashesAt(view: DataView, bytes: Uint8Array, a: number, b: number): number {
  const head = view.getUint32(a) - view.getUint32(b);
  if (head !== 0) return head;
  for (let i = 4; i < RECORD_HASH_LENGTH; i++) {
    const d = bytes[a + i] - bytes[b + i];
    if (d !== 0) return d;
  }
  return 0;
}

/** Binary search for the record with this hash. */
export function findRecord(decoded: DecodedVault, hash: Uint8Array): SealedRecord | null {
  let low = 0;
  let high = decoded.offsets.length - 1;
  while (low <= high) {
    const mid = (low + high) >> 1;
    const order = compareHashAt(decoded.bytes, decoded.offsets[mid], hash);
    if (order === 0) return recordAt(decoded, mid);
    if (order < 0) low = mid + 1;
    else high = mid - 1;
  }
  return null;
}

function corrupt(detail: string): VaultCorruptError {
  return new VaultCorruptError(`the vault file is corrupt: ${detail}`, {
    hint: "Restore the previous generation: cp vault.enc.bak vault.enc (in the authsome home)",
  });
}

/** Encodes a header; the inverse of the header part of {@linkcode decodeVault}. */
export function encodeHeader(header: VaultHeader): Uint8Array {
  const bytes = new Uint8Array(HEADER_LENGTH);
  const view = new DataView(bytes.buffer);
  bytes.set(MAGIC, 0);
  bytes[8] = FORMAT_VERSION;
  bytes[9] = header.keySource;
  bytes[10] = header.kdf;
  bytes[11] = 0;
  view.setUint32(12, header.iterations);
  bytes.set(header.salt, 16);
  bytes.set(header.keyId, 32);
  view.setUint32(48, header.recordCount);
  view.setBigUint64(52, header.generation);
  view.setUint32(60, 0);
  return bytes;
}

/** Checks KDF parameters, whether read from a file or about to be written. */
export function checkKdfParameters(keySource: number, kdf: number, iterations: number): void {
  if (keySource !== 1 && keySource !== 2 && keySource !== 3) {
    throw corrupt(`unknown key source ${keySource}`);
  }
  if (kdf === Kdf.none) {
    if (keySource === KeySource.passphrase) throw corrupt("passphrase vault without a KDF");
    if (iterations !== 0) throw corrupt("KDF iterations set without a KDF");
    return;
  }
  if (kdf !== Kdf.pbkdf2Sha256) throw corrupt(`unknown KDF ${kdf}`);
  if (keySource !== KeySource.passphrase) throw corrupt("KDF set on a raw-key vault");
  if (iterations < MIN_PBKDF2_ITERATIONS || iterations > MAX_PBKDF2_ITERATIONS) {
    throw corrupt(
      `PBKDF2 iterations ${iterations} out of range ` +
        `${MIN_PBKDF2_ITERATIONS}..${MAX_PBKDF2_ITERATIONS}`,
    );
  }
}

/** Decodes and structurally validates a header (the first 64 bytes). */
export function decodeHeader(bytes: Uint8Array): VaultHeader {
  if (bytes.length < HEADER_LENGTH) {
    if (bytes.length === 0) throw corrupt("the file is empty");
    throw corrupt(`the file is truncated (${bytes.length} bytes)`);
  }
  for (let i = 0; i < MAGIC.length; i++) {
    if (bytes[i] !== MAGIC[i]) throw corrupt("not an authsome vault (bad magic)");
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = bytes[8];
  if (version !== FORMAT_VERSION) {
    throw new VaultVersionError(
      `the vault uses format version ${version}; this authsome reads version ${FORMAT_VERSION}`,
      { hint: "Upgrade authsome to a version that reads this vault" },
    );
  }
  if (bytes[11] !== 0) throw corrupt(`unknown flags 0x${bytes[11].toString(16)}`);
  if (view.getUint32(60) !== 0) throw corrupt("reserved header bytes are not zero");
  const keySource = bytes[9];
  const kdf = bytes[10];
  const iterations = view.getUint32(12);
  checkKdfParameters(keySource, kdf, iterations);
  const salt = bytes.slice(16, 32);
  if (kdf === Kdf.none && salt.some((b) => b !== 0)) throw corrupt("salt set without a KDF");
  const recordCount = view.getUint32(48);
  if (recordCount > MAX_RECORDS) throw corrupt(`record count ${recordCount} is out of range`);
  return {
    keySource: keySource as KeySourceId,
    kdf: kdf as KdfId,
    iterations,
    salt,
    keyId: bytes.slice(32, 48),
    recordCount,
    generation: view.getBigUint64(52),
  };
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < a.length && i < b.length; i++) {
    if (a[i] !== b[i]) return a[i] - b[i];
  }
  return a.length - b.length;
}

/**
 * Decodes a whole file. Checks structure only; the MAC and the records are checked with the
 * key by the caller. Nothing is copied.
 */
export function decodeVault(bytes: Uint8Array): DecodedVault {
  const header = decodeHeader(bytes);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const offsets = new Uint32Array(header.recordCount);
  let offset = HEADER_LENGTH;
  for (let i = 0; i < header.recordCount; i++) {
    if (offset + RECORD_PREFIX_LENGTH > bytes.length) {
      throw corrupt(`the file is truncated (record ${i + 1} of ${header.recordCount})`);
    }
    const length = view.getUint32(offset + RECORD_HASH_LENGTH + NONCE_LENGTH);
    if (length <= TAG_LENGTH || length > MAX_RECORD_CIPHERTEXT) {
      throw corrupt(`record ${i + 1} has an impossible length ${length}`);
    }
    const start = offset + RECORD_PREFIX_LENGTH;
    if (start + length > bytes.length) {
      throw corrupt(`the file is truncated (record ${i + 1} of ${header.recordCount})`);
    }
    if (i > 0 && compareHashesAt(view, bytes, offsets[i - 1], offset) >= 0) {
      throw corrupt("records are out of order or duplicated");
    }
    offsets[i] = offset;
    offset = start + length;
  }
  if (offset + MAC_LENGTH > bytes.length) throw corrupt("the file is truncated (no trailer)");
  if (offset + MAC_LENGTH < bytes.length) {
    throw corrupt(`${bytes.length - offset - MAC_LENGTH} unexpected bytes after the trailer`);
  }
  return {
    header,
    headerBytes: bytes.subarray(0, HEADER_LENGTH),
    bytes,
    offsets,
    authenticated: bytes.subarray(0, offset),
    mac: bytes.subarray(offset),
  };
}

/** A change to one record of a file: a new sealed record for its hash, or null to delete it. */
export interface RecordChange {
  hash: Uint8Array;
  record: SealedRecord | null;
}

function sealedSize(record: SealedRecord): number {
  return RECORD_PREFIX_LENGTH + record.ciphertext.length;
}

function writeSealed(
  out: Uint8Array,
  view: DataView,
  offset: number,
  record: SealedRecord,
): number {
  out.set(record.hash, offset);
  out.set(record.nonce, offset + RECORD_HASH_LENGTH);
  view.setUint32(offset + RECORD_HASH_LENGTH + NONCE_LENGTH, record.ciphertext.length);
  out.set(record.ciphertext, offset + RECORD_PREFIX_LENGTH);
  return offset + sealedSize(record);
}

/** Where `hash` is, or would be inserted, among the records of `decoded` (binary search). */
function positionOf(decoded: DecodedVault, hash: Uint8Array): { index: number; found: boolean } {
  let low = 0;
  let high = decoded.offsets.length;
  while (low < high) {
    const mid = (low + high) >> 1;
    const order = compareHashAt(decoded.bytes, decoded.offsets[mid], hash);
    if (order === 0) return { index: mid, found: true };
    if (order < 0) low = mid + 1;
    else high = mid;
  }
  return { index: low, found: false };
}

/**
 * Lays out the next generation of a file: the records of `base` (null for a new vault) with
 * `changes` applied, in hash order, under the header `makeHeader` returns for the final record
 * count; the trailer is left zero for the caller to fill with the MAC. Unchanged records are
 * copied as byte ranges rather than decoded and re-encoded one by one, so a `login` on a vault of
 * 10,000 connections costs a few copies, not 10,000 allocations and a sort.
 */
export function encodeChangedVault(
  base: DecodedVault | null,
  changes: readonly RecordChange[],
  makeHeader: (recordCount: number) => Uint8Array,
): Uint8Array {
  for (const { record } of changes) {
    // The reader refuses these lengths, so writing one would lock the user out of the vault.
    if (record && record.ciphertext.length > MAX_RECORD_CIPHERTEXT) {
      throw new VaultError(
        `a record of ${record.ciphertext.length} bytes is over the vault's limit of ` +
          `${MAX_RECORD_CIPHERTEXT} bytes; nothing was written`,
      );
    }
  }
  const ordered = [...changes].sort((x, y) => compareBytes(x.hash, y.hash));
  for (let i = 1; i < ordered.length; i++) {
    if (compareBytes(ordered[i - 1].hash, ordered[i].hash) === 0) {
      throw new Error("two changes to the same record");
    }
  }
  const baseCount = base ? base.offsets.length : 0;
  const recordsEnd = base ? base.authenticated.length : HEADER_LENGTH;
  const endOf = (index: number) => (index < baseCount ? base!.offsets[index] : recordsEnd);
  const plan = ordered.map((change) => ({
    change,
    ...(base ? positionOf(base, change.hash) : { index: 0, found: false }),
  }));
  let count = baseCount;
  let size = recordsEnd + MAC_LENGTH;
  for (const { change, index, found } of plan) {
    if (found) {
      count--;
      size -= endOf(index + 1) - base!.offsets[index];
    }
    if (change.record) {
      count++;
      size += sealedSize(change.record);
    }
  }
  if (count > MAX_RECORDS) {
    throw new VaultError(`the vault would hold ${count} records, over its limit of ${MAX_RECORDS}`);
  }
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  out.set(makeHeader(count), 0);
  let written = HEADER_LENGTH;
  let cursor = 0; // the next record of `base` not yet copied or dropped
  for (const { change, index, found } of plan) {
    if (base && index > cursor) {
      const run = base.bytes.subarray(base.offsets[cursor], endOf(index));
      out.set(run, written);
      written += run.length;
    }
    cursor = found ? index + 1 : index;
    if (change.record) written = writeSealed(out, view, written, change.record);
  }
  if (base && cursor < baseCount) {
    const run = base.bytes.subarray(base.offsets[cursor], recordsEnd);
    out.set(run, written);
    written += run.length;
  }
  if (written !== size - MAC_LENGTH) throw new Error("vault layout size mismatch");
  return out;
}
