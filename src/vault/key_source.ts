/**
 * Finds the vault key. Sources, first match wins (docs/contract.md §3):
 * `AUTHSOME_MASTER_KEY` (base64 of 32 bytes, for CI), `AUTHSOME_PASSPHRASE` (PBKDF2-SHA256),
 * `master.key` (32 random bytes, base64, 0600, created on first use when no vault exists).
 *
 * A vault records which source sealed it; opening it with another source fails with a message
 * naming the source it needs instead of a bare "wrong key".
 *
 * Key mode `daemon` (`config.json` says `"key_mode": "daemon"`): the vault is sealed with a
 * passphrase that is never stored; only an unlocked daemon holds the derived key in memory. A
 * process without `AUTHSOME_PASSPHRASE` then fails with exit 9 and the hint
 * `authsome daemon unlock`, and never creates `master.key`. The daemon proves nothing to
 * clients, but clients that mint grants prove they know the passphrase with
 * {@linkcode unlockProof} (an HMAC under the passphrase-derived key, never written anywhere).
 *
 * @module
 */
import { writeFailure } from "./write_failure.ts";
import {
  DaemonUnavailableError,
  KeySourceError,
  UnsafePermissionsError,
  WrongKeyError,
} from "../errors.ts";
import { registerSecretValue } from "../model/secret.ts";
import type { HomePaths } from "../model/home.ts";
import type { Platform } from "../platform/types.ts";
import { constantTimeEqual, deriveVaultKeys, hmacSha256, passphraseKey } from "./crypto.ts";
import {
  decodeHeader,
  Kdf,
  KDF_SALT_LENGTH,
  KeySource,
  type KeySourceId,
  MIN_PBKDF2_ITERATIONS,
  type VaultHeader,
} from "./format.ts";

/** A resolved key and the header parameters it implies. */
export interface ResolvedKey {
  rawKey: Uint8Array;
  source: KeySourceId;
  kdf: number;
  iterations: number;
  salt: Uint8Array;
}

/** Human names of the key sources, for messages and `whoami`. */
export const KEY_SOURCE_NAMES: Record<KeySourceId, string> = {
  [KeySource.keyFile]: "key file (master.key)",
  [KeySource.envKey]: "AUTHSOME_MASTER_KEY",
  [KeySource.passphrase]: "AUTHSOME_PASSPHRASE",
};

/** Which source the current environment selects, without reading any key. */
export function selectedKeySource(env: (name: string) => string | undefined): KeySourceId {
  if (env("AUTHSOME_MASTER_KEY")) return KeySource.envKey;
  if (env("AUTHSOME_PASSPHRASE")) return KeySource.passphrase;
  return KeySource.keyFile;
}

/** Decodes strict base64 of exactly 32 bytes, or returns null. */
export function decodeKey(text: string): Uint8Array | null {
  const trimmed = text.trim();
  // 44 characters that decode strictly to 32 bytes leave no room for inner whitespace (which
  // fromBase64 would skip) or another padding length.
  if (trimmed.length !== 44) return null;
  try {
    // Not atob(): its first call loads a module and costs ~1 ms on every `get`. "strict"
    // refuses non-zero padding bits, so only the canonical encoding of a key is accepted.
    const bytes = Uint8Array.fromBase64(trimmed, { lastChunkHandling: "strict" });
    return bytes.length === 32 ? bytes : null;
  } catch {
    return null;
  }
}

/** Base64 of a key, as stored in master.key. */
export function encodeKey(bytes: Uint8Array): string {
  return bytes.toBase64();
}

/** Refuses a file that group or other can access. */
export async function assertPrivate(platform: Platform, path: string, what: string) {
  const info = await platform.fs.stat(path);
  if (info && info.mode !== null && (info.mode & 0o077) !== 0) {
    throw new UnsafePermissionsError(
      `${what} ${path} is accessible by other users (mode ${info.mode.toString(8)})`,
      { hint: `chmod 600 ${path}` },
    );
  }
}

async function readKeyFile(platform: Platform, paths: HomePaths): Promise<Uint8Array | null> {
  // Both at once: this is on the path of every `get`.
  const [, text] = await Promise.all([
    assertPrivate(platform, paths.masterKey, "the key file"),
    platform.fs.readTextFile(paths.masterKey),
  ]);
  if (text === null) return null;
  // The Python predecessor's JSON key file holds a key of the same kind: reusing it keeps its
  // store readable by `authsome import` and leaves the file as the predecessor wrote it.
  // Loaded only for a key file that is not ours: `get` never pays for it.
  const key = decodeKey(text) ??
    (await import("./predecessor.ts")).parsePredecessorKeyFile(text);
  if (!key) {
    throw new KeySourceError(`the key file ${paths.masterKey} does not hold a base64 32-byte key`, {
      hint: `Restore ${paths.masterKey} from your backup`,
    });
  }
  return key;
}

async function createKeyFile(platform: Platform, paths: HomePaths): Promise<Uint8Array> {
  const key = platform.randomBytes(32);
  try {
    await platform.fs.writeFileAtomic(
      paths.masterKey,
      new TextEncoder().encode(encodeKey(key) + "\n"),
      { mode: 0o600 },
    );
  } catch (error) {
    throw writeFailure("the key file", paths.masterKey, paths.home, error);
  }
  return key;
}

function mismatch(needed: KeySourceId, have: KeySourceId): KeySourceError {
  const hints: Record<KeySourceId, string> = {
    [KeySource.keyFile]: "unset AUTHSOME_MASTER_KEY and AUTHSOME_PASSPHRASE",
    [KeySource.envKey]: "export AUTHSOME_MASTER_KEY=<the base64 key this vault was created with>",
    [KeySource.passphrase]: "export AUTHSOME_PASSPHRASE=<the passphrase of this vault>",
  };
  return new KeySourceError(
    `this vault was sealed with the ${KEY_SOURCE_NAMES[needed]}, ` +
      `but the ${KEY_SOURCE_NAMES[have]} was selected`,
    { hint: hints[needed] },
  );
}

/**
 * Resolves the key for an existing vault (`header` given) or for a new one (`header` null,
 * in which case master.key is created when that is the selected source).
 */
export async function resolveKey(
  platform: Platform,
  paths: HomePaths,
  header: VaultHeader | null,
): Promise<ResolvedKey> {
  const envKey = platform.env("AUTHSOME_MASTER_KEY");
  if (envKey) {
    const rawKey = decodeKey(envKey);
    if (!rawKey) {
      throw new KeySourceError("AUTHSOME_MASTER_KEY must be the base64 encoding of 32 bytes", {
        hint: "Generate one with: openssl rand -base64 32",
      });
    }
    registerSecretValue(envKey.trim());
    if (header?.kdf === Kdf.pbkdf2Sha256) throw mismatch(KeySource.passphrase, KeySource.envKey);
    return { rawKey, source: KeySource.envKey, kdf: Kdf.none, iterations: 0, salt: zeroSalt() };
  }
  const passphrase = platform.env("AUTHSOME_PASSPHRASE");
  if (passphrase) {
    registerSecretValue(passphrase);
    if (header && header.kdf !== Kdf.pbkdf2Sha256) {
      throw mismatch(header.keySource, KeySource.passphrase);
    }
    const salt = header ? header.salt : platform.randomBytes(KDF_SALT_LENGTH);
    const iterations = header ? header.iterations : MIN_PBKDF2_ITERATIONS;
    const rawKey = await passphraseKey(passphrase, salt, iterations);
    return { rawKey, source: KeySource.passphrase, kdf: Kdf.pbkdf2Sha256, iterations, salt };
  }
  if (
    (header?.keySource === KeySource.passphrase || !header) &&
    await isDaemonKeyMode(platform, paths)
  ) {
    throw keyHeldByDaemon(paths);
  }
  if (header && header.keySource !== KeySource.keyFile) {
    throw mismatch(header.keySource, KeySource.keyFile);
  }
  let rawKey = await readKeyFile(platform, paths);
  if (!rawKey) {
    if (header) {
      throw new KeySourceError(
        `the key file ${paths.masterKey} is missing, so the vault cannot be opened`,
        { hint: `Restore ${paths.masterKey} from your backup, or set AUTHSOME_MASTER_KEY` },
      );
    }
    rawKey = await createKeyFile(platform, paths);
  }
  return { rawKey, source: KeySource.keyFile, kdf: Kdf.none, iterations: 0, salt: zeroSalt() };
}

function zeroSalt(): Uint8Array {
  return new Uint8Array(KDF_SALT_LENGTH);
}

/** The error for a key whose id does not match the vault's. */
export function wrongKey(header: VaultHeader, used: KeySourceId, paths: HomePaths): WrongKeyError {
  const what: Record<KeySourceId, string> = {
    [KeySource.keyFile]: `the key in ${paths.masterKey} is`,
    [KeySource.envKey]: "AUTHSOME_MASTER_KEY is",
    [KeySource.passphrase]: "AUTHSOME_PASSPHRASE is",
  };
  const sealedWith = header.keySource === used
    ? ""
    : ` (it was sealed with the ${KEY_SOURCE_NAMES[header.keySource]})`;
  let hint: string;
  if (header.keySource === KeySource.keyFile && used === KeySource.envKey) {
    hint = `unset AUTHSOME_MASTER_KEY (this vault uses ${paths.masterKey}), ` +
      "or set it to the key in that file";
  } else if (header.keySource === KeySource.keyFile) {
    hint =
      `Restore ${paths.masterKey} from your backup, or set AUTHSOME_MASTER_KEY to the right key`;
  } else {
    hint = `Set ${KEY_SOURCE_NAMES[header.keySource]} to the value this vault was created with`;
  }
  return new WrongKeyError(
    `wrong key: ${what[used]} not the key this vault was sealed with${sealedWith}`,
    { hint },
  );
}

/** Whether `config.json` puts the home in key mode `daemon` (read only off the fast path). */
export async function isDaemonKeyMode(platform: Platform, paths: HomePaths): Promise<boolean> {
  const text = await platform.fs.readTextFile(paths.config).catch(() => null);
  if (!text) return false;
  try {
    return (JSON.parse(text) as { key_mode?: unknown }).key_mode === "daemon";
  } catch {
    return false;
  }
}

/** The error of a process that needs the vault key of a home in key mode `daemon`. */
export function keyHeldByDaemon(paths: HomePaths): DaemonUnavailableError {
  return new DaemonUnavailableError(
    `the vault key of ${paths.home} is not on disk (key mode daemon): only an unlocked ` +
      "daemon holds it, for `run --grant` and `grant`; other commands need the passphrase " +
      "in AUTHSOME_PASSPHRASE",
    { hint: "authsome daemon unlock" },
  );
}

const PROOF_LABEL = new TextEncoder().encode("authsome daemon unlock proof v1");

/**
 * What a client sends to show it knows the vault key: HMAC-SHA256 under the raw key of a fixed
 * label. Unlike the key id it appears in no file, so reading the home does not yield it.
 */
export async function unlockProof(rawKey: Uint8Array): Promise<Uint8Array> {
  return await hmacSha256(rawKey, PROOF_LABEL);
}

/**
 * The raw key a passphrase yields for the existing passphrase-sealed vault of `paths`, checked
 * against the vault's key id (a wrong passphrase fails here, with exit 7).
 */
export async function keyFromPassphrase(
  platform: Platform,
  paths: HomePaths,
  passphrase: string,
): Promise<Uint8Array> {
  registerSecretValue(passphrase);
  const bytes = await platform.fs.readFile(paths.vault);
  if (!bytes) {
    throw new KeySourceError(`there is no vault in ${paths.home} yet`, {
      hint: "authsome daemon unlock",
    });
  }
  const header = decodeHeader(bytes);
  if (header.kdf !== Kdf.pbkdf2Sha256) {
    throw new KeySourceError(
      `this vault was sealed with the ${KEY_SOURCE_NAMES[header.keySource]}, not a passphrase`,
      {
        hint:
          `Daemon key mode needs a home created by it: AUTHSOME_HOME=<new dir> authsome daemon unlock`,
      },
    );
  }
  const rawKey = await passphraseKey(passphrase, header.salt, header.iterations);
  if (!constantTimeEqual((await deriveVaultKeys(rawKey)).keyId, header.keyId)) {
    throw new WrongKeyError("wrong passphrase: it is not the one this vault was sealed with", {
      hint: "Retry with the passphrase this vault was created with (at authsome daemon unlock)",
    });
  }
  return rawKey;
}
