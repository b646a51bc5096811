/**
 * The plain layout of a v1 vault file, written record by record from a sorted list: the
 * reference that `format_test.ts` checks the incremental writer (`encodeChangedVault`) against,
 * and a convenient way to build files, corrupt ones included, in tests.
 */
import {
  HEADER_LENGTH,
  MAC_LENGTH,
  NONCE_LENGTH,
  RECORD_HASH_LENGTH,
  RECORD_PREFIX_LENGTH,
  type SealedRecord,
} from "../../src/vault/format.ts";

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < a.length && i < b.length; i++) {
    if (a[i] !== b[i]) return a[i] - b[i];
  }
  return a.length - b.length;
}

/** Orders records canonically (by hash). */
export function sortRecords(records: SealedRecord[]): SealedRecord[] {
  return records.sort((x, y) => compareBytes(x.hash, y.hash));
}

/**
 * Lays out a whole file from its parts, with a zero trailer for the caller to fill with the
 * MAC of everything before it. Records must already be sorted.
 */
export function encodeVault(headerBytes: Uint8Array, records: readonly SealedRecord[]): Uint8Array {
  let size = HEADER_LENGTH + MAC_LENGTH;
  for (const record of records) size += RECORD_PREFIX_LENGTH + record.ciphertext.length;
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  out.set(headerBytes, 0);
  let offset = HEADER_LENGTH;
  for (const record of records) {
    out.set(record.hash, offset);
    out.set(record.nonce, offset + RECORD_HASH_LENGTH);
    view.setUint32(offset + RECORD_HASH_LENGTH + NONCE_LENGTH, record.ciphertext.length);
    out.set(record.ciphertext, offset + RECORD_PREFIX_LENGTH);
    offset += RECORD_PREFIX_LENGTH + record.ciphertext.length;
  }
  return out;
}
