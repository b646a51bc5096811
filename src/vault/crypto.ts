/**
 * Vault cryptography on Web Crypto: key derivation, record sealing and the file MAC.
 *
 * One 32-byte vault key K (from master.key, AUTHSOME_MASTER_KEY, or PBKDF2 of a passphrase)
 * is expanded with HKDF-SHA256 (info "authsome/v1/keys") into four independent values:
 * a 16-byte key id, an AES-256-GCM record key, an HMAC index key (record hashes, so record
 * names are not visible in the file) and an HMAC key for the trailer.
 *
 * @module
 */
import { VaultCorruptError } from "../errors.ts";
import {
  KEY_ID_LENGTH,
  RECORD_HASH_LENGTH,
  type SealedRecord,
  STATIC_HEADER_LENGTH,
  TAG_LENGTH,
} from "./format.ts";

const encoder = new TextEncoder();
const KEY_LENGTH = 32;

/** The keys derived from the vault key. */
export interface VaultKeys {
  keyId: Uint8Array;
  recordKey: CryptoKey;
  indexKey: CryptoKey;
  macKey: CryptoKey;
}

/** Expands the 32-byte vault key into the working keys. */
export async function deriveVaultKeys(rawKey: Uint8Array): Promise<VaultKeys> {
  const master = await crypto.subtle.importKey("raw", rawKey as BufferSource, "HKDF", false, [
    "deriveBits",
  ]);
  const bits = new Uint8Array(
    await crypto.subtle.deriveBits(
      {
        name: "HKDF",
        hash: "SHA-256",
        salt: new Uint8Array(0),
        info: encoder.encode("authsome/v1/keys"),
      },
      master,
      (KEY_ID_LENGTH + 3 * KEY_LENGTH) * 8,
    ),
  );
  const hmac = { name: "HMAC", hash: "SHA-256" };
  const [recordKey, indexKey, macKey] = await Promise.all([
    crypto.subtle.importKey("raw", bits.slice(16, 48), "AES-GCM", false, ["encrypt", "decrypt"]),
    crypto.subtle.importKey("raw", bits.slice(48, 80), hmac, false, ["sign"]),
    crypto.subtle.importKey("raw", bits.slice(80, 112), hmac, false, ["sign"]),
  ]);
  return { keyId: bits.slice(0, KEY_ID_LENGTH), recordKey, indexKey, macKey };
}

/** Derives a 32-byte vault key from a passphrase with PBKDF2-HMAC-SHA256. */
export async function passphraseKey(
  passphrase: string,
  salt: Uint8Array,
  iterations: number,
): Promise<Uint8Array> {
  const base = await crypto.subtle.importKey(
    "raw",
    encoder.encode(passphrase),
    "PBKDF2",
    false,
    ["deriveBits"],
  );
  const bits = await crypto.subtle.deriveBits(
    { name: "PBKDF2", hash: "SHA-256", salt: salt as BufferSource, iterations },
    base,
    KEY_LENGTH * 8,
  );
  return new Uint8Array(bits);
}

/** The record hash that stands for a record id in the file. */
export async function recordHash(keys: VaultKeys, id: string): Promise<Uint8Array> {
  const mac = await crypto.subtle.sign("HMAC", keys.indexKey, encoder.encode(id));
  return new Uint8Array(mac, 0, RECORD_HASH_LENGTH).slice();
}

function additionalData(staticHeader: Uint8Array, hash: Uint8Array): Uint8Array {
  const aad = new Uint8Array(STATIC_HEADER_LENGTH + RECORD_HASH_LENGTH);
  aad.set(staticHeader.subarray(0, STATIC_HEADER_LENGTH), 0);
  aad.set(hash, STATIC_HEADER_LENGTH);
  return aad;
}

/** Seals one record's plaintext under a fresh nonce. */
export async function sealRecord(
  keys: VaultKeys,
  staticHeader: Uint8Array,
  hash: Uint8Array,
  plaintext: Uint8Array,
  nonce: Uint8Array,
): Promise<SealedRecord> {
  const ciphertext = await crypto.subtle.encrypt(
    {
      name: "AES-GCM",
      iv: nonce as BufferSource,
      additionalData: additionalData(staticHeader, hash) as BufferSource,
      tagLength: TAG_LENGTH * 8,
    },
    keys.recordKey,
    plaintext as BufferSource,
  );
  return { hash, nonce, ciphertext: new Uint8Array(ciphertext) };
}

/** Opens one record. A failed tag check means the file was damaged or tampered with. */
export async function openRecord(
  keys: VaultKeys,
  staticHeader: Uint8Array,
  record: SealedRecord,
): Promise<Uint8Array> {
  try {
    const plaintext = await crypto.subtle.decrypt(
      {
        name: "AES-GCM",
        iv: record.nonce as BufferSource,
        additionalData: additionalData(staticHeader, record.hash) as BufferSource,
        tagLength: TAG_LENGTH * 8,
      },
      keys.recordKey,
      record.ciphertext as BufferSource,
    );
    return new Uint8Array(plaintext);
  } catch (error) {
    throw new VaultCorruptError("the vault file is corrupt: a record failed its integrity check", {
      cause: error,
      hint: "Restore the previous generation: cp vault.enc.bak vault.enc (in the authsome home)",
    });
  }
}

/** HMAC of the trailer. */
export async function fileMac(keys: VaultKeys, input: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.sign("HMAC", keys.macKey, input as BufferSource));
}

/** HMAC-SHA256 of `data` under the raw key `rawKey`. */
export async function hmacSha256(rawKey: Uint8Array, data: Uint8Array): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey(
    "raw",
    rawKey as Uint8Array<ArrayBuffer>,
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  return new Uint8Array(await crypto.subtle.sign("HMAC", key, data as Uint8Array<ArrayBuffer>));
}

/** Compares two byte strings without an early exit. */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}
