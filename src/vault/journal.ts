/**
 * The refresh journal `vault.journal`: vault writes made durable before the vault file itself
 * is written, so that an answer from a token endpoint (a rotated refresh token the provider will
 * never send again) survives a kill -9 or a full disk between the answer and the vault write.
 *
 * Life cycle, all under `vault.lock`: a transaction that is about to make an irreversible call
 * first reserves the file at its full size ({@linkcode JOURNAL_RESERVED_BYTES}, fsynced), then
 * overwrites it in place with the sealed entry as soon as the answer is in (no new disk blocks
 * are needed, so this works on a full disk), writes the vault, and removes the file. The next
 * process to take the lock applies an entry it finds if the vault is still at the entry's base
 * generation (the vault write never happened), and removes the file either way.
 *
 * Layout (integers big-endian):
 *
 * | offset | size | field |
 * | --- | --- | --- |
 * | 0 | 8 | magic `ASJRNL01` |
 * | 8 | 16 | key id of the vault key (as in the vault header) |
 * | 24 | 4 | length L of the sealed entry; 0 = reserved, nothing committed |
 * | 28 | 12 | AES-GCM nonce |
 * | 40 | L | AES-256-GCM ciphertext + 16-byte tag, additional data bytes 0-27 |
 * | 40 + L | ... | zero padding up to the reserved size |
 *
 * The plaintext is UTF-8 JSON `{"base_generation": "<decimal>", "writes": [[id, data|null]]}`.
 * It holds secrets, so it exists only sealed with the vault's record key: nothing under the home
 * is in the clear.
 *
 * @module
 */
import type { VaultKeys } from "./crypto.ts";
import { constantTimeEqual } from "./crypto.ts";
import { KEY_ID_LENGTH, NONCE_LENGTH, TAG_LENGTH } from "./format.ts";

/** File name of the journal in the home. */
const JOURNAL_NAME = "vault.journal";
/** Room reserved before the irreversible call: far more than one connection's records. */
export const JOURNAL_RESERVED_BYTES = 64 * 1024;

const MAGIC = new TextEncoder().encode("ASJRNL01");
const LENGTH_OFFSET = MAGIC.length + KEY_ID_LENGTH;
const NONCE_OFFSET = LENGTH_OFFSET + 4;
const BODY_OFFSET = NONCE_OFFSET + NONCE_LENGTH;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Vault writes: record id to data, null for a delete. */
export type JournalWrites = ReadonlyMap<string, Record<string, unknown> | null>;

/** What a journal file holds. */
export type JournalContent =
  | { kind: "entry"; baseGeneration: bigint; writes: Map<string, Record<string, unknown> | null> }
  /** A reservation whose transaction never committed (or ended normally before removing it). */
  | { kind: "reserved" }
  /** Not readable with this key: torn, damaged, or from another vault key. */
  | { kind: "unreadable"; reason: string };

/** Path of the journal under `home`. */
export function journalPath(home: string): string {
  return `${home}/${JOURNAL_NAME}`;
}

function header(keyId: Uint8Array, length: number): Uint8Array {
  const bytes = new Uint8Array(NONCE_OFFSET);
  bytes.set(MAGIC, 0);
  bytes.set(keyId, MAGIC.length);
  new DataView(bytes.buffer).setUint32(LENGTH_OFFSET, length);
  return bytes;
}

/** The reserved, empty journal file: zero padding after a header that says "nothing yet". */
export function journalReservation(keyId: Uint8Array): Uint8Array {
  const bytes = new Uint8Array(JOURNAL_RESERVED_BYTES);
  bytes.set(header(keyId, 0), 0);
  return bytes;
}

/** Seals an entry: the bytes to write over the start of the reservation. */
export async function sealJournal(
  keys: VaultKeys,
  baseGeneration: bigint,
  writes: JournalWrites,
  nonce: Uint8Array,
): Promise<Uint8Array> {
  const plaintext = encoder.encode(JSON.stringify({
    base_generation: baseGeneration.toString(),
    writes: [...writes],
  }));
  const length = plaintext.length + TAG_LENGTH;
  const aad = header(keys.keyId, length);
  const ciphertext = await crypto.subtle.encrypt(
    {
      name: "AES-GCM",
      iv: nonce as BufferSource,
      additionalData: aad as BufferSource,
      tagLength: TAG_LENGTH * 8,
    },
    keys.recordKey,
    plaintext as BufferSource,
  );
  const out = new Uint8Array(BODY_OFFSET + length);
  out.set(aad, 0);
  out.set(nonce, NONCE_OFFSET);
  out.set(new Uint8Array(ciphertext), BODY_OFFSET);
  return out;
}

/** Reads a journal file with the vault's keys. Never throws. */
export async function openJournal(keys: VaultKeys, bytes: Uint8Array): Promise<JournalContent> {
  if (bytes.length < BODY_OFFSET || !constantTimeEqual(bytes.subarray(0, MAGIC.length), MAGIC)) {
    return { kind: "unreadable", reason: "not a journal file" };
  }
  if (!constantTimeEqual(bytes.subarray(MAGIC.length, LENGTH_OFFSET), keys.keyId)) {
    return { kind: "unreadable", reason: "sealed with another vault key" };
  }
  const length = new DataView(bytes.buffer, bytes.byteOffset).getUint32(LENGTH_OFFSET);
  if (length === 0) return { kind: "reserved" };
  if (length < TAG_LENGTH || BODY_OFFSET + length > bytes.length) {
    return { kind: "unreadable", reason: "truncated" };
  }
  let plaintext: ArrayBuffer;
  try {
    plaintext = await crypto.subtle.decrypt(
      {
        name: "AES-GCM",
        iv: bytes.slice(NONCE_OFFSET, BODY_OFFSET) as BufferSource,
        additionalData: bytes.slice(0, NONCE_OFFSET) as BufferSource,
        tagLength: TAG_LENGTH * 8,
      },
      keys.recordKey,
      bytes.slice(BODY_OFFSET, BODY_OFFSET + length) as BufferSource,
    );
  } catch {
    return { kind: "unreadable", reason: "failed its integrity check" };
  }
  try {
    const parsed = JSON.parse(decoder.decode(plaintext)) as {
      base_generation: string;
      writes: [string, Record<string, unknown> | null][];
    };
    const writes = new Map<string, Record<string, unknown> | null>();
    for (const [id, data] of parsed.writes) {
      if (typeof id !== "string" || typeof data !== "object") throw new Error("bad write");
      writes.set(id, data);
    }
    return { kind: "entry", baseGeneration: BigInt(parsed.base_generation), writes };
  } catch {
    return { kind: "unreadable", reason: "malformed entry" };
  }
}
