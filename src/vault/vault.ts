/**
 * The vault: one encrypted file of JSON records addressed by string ids.
 *
 * Readers take no lock: they read the whole file once (writes replace it atomically, so a
 * reader sees the old file or the new one, never a mix) and decrypt only the records they ask
 * for. Every read-modify-write holds `vault.lock` (a separate file that is never renamed) with a
 * deadline, re-reads the file after taking the lock, and re-seals only the records it changed.
 *
 * Crash recovery, first thing under the lock: temp copies a killed write left behind are removed
 * (`leftovers.ts`) and a committed refresh journal is applied (`journal.ts`). A reader that
 * finds a journal and a free lock does the same before it reads.
 *
 * @module
 */
import {
  AuthsomeError,
  describeError,
  HomeUnavailableError,
  VaultCorruptError,
  VaultLockedError,
} from "../errors.ts";
import { assertSafeHome, type HomePaths } from "../model/home.ts";
import type { Platform } from "../platform/types.ts";
import {
  constantTimeEqual,
  deriveVaultKeys,
  fileMac,
  openRecord,
  recordHash,
  sealRecord,
  type VaultKeys,
} from "./crypto.ts";
import {
  type DecodedVault,
  decodeHeader,
  decodeVault,
  encodeChangedVault,
  encodeHeader,
  findRecord,
  MAC_LENGTH,
  NONCE_LENGTH,
  recordAt,
  type RecordChange,
  recordCount,
  type VaultHeader,
} from "./format.ts";
import type { JournalWrites } from "./journal.ts";
import { assertPrivate, resolveKey, wrongKey } from "./key_source.ts";

// Recovery, the journal and write-failure reports are loaded when a write or a recovery needs
// them: a plain read (every `get`) never does.
const journalModule = () => import("./journal.ts");
async function writeFailure(what: string, path: string, home: string, error: unknown) {
  return (await import("./write_failure.ts")).writeFailure(what, path, home, error);
}

/** A record's JSON content. Unknown fields are kept as they are. */
export type RecordData = Record<string, unknown>;

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const DEFAULT_LOCK_TIMEOUT_MS = 10_000;

function parseRecord(plaintext: Uint8Array, id: string | null): { id: string; data: RecordData } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(decoder.decode(plaintext));
  } catch (error) {
    throw new VaultCorruptError("the vault file is corrupt: a record is not valid JSON", {
      cause: error,
    });
  }
  const record = parsed as { id?: unknown; data?: unknown };
  if (
    typeof record !== "object" || record === null || typeof record.id !== "string" ||
    typeof record.data !== "object" || record.data === null || (id !== null && record.id !== id)
  ) {
    throw new VaultCorruptError("the vault file is corrupt: a record has the wrong shape");
  }
  return { id: record.id, data: record.data as RecordData };
}

/** The decoded file behind each snapshot, for the writer (which copies unchanged records). */
const decodedFiles = new WeakMap<VaultSnapshot, DecodedVault | null>();

/** A consistent, decrypted-on-demand view of the vault file at one moment. */
export class VaultSnapshot {
  readonly #keys: VaultKeys | null;
  readonly #decoded: DecodedVault | null;
  /** The header, or null when no vault file exists yet. */
  readonly header: VaultHeader | null;

  constructor(keys: VaultKeys | null, decoded: DecodedVault | null) {
    this.#keys = keys;
    this.#decoded = decoded;
    this.header = decoded?.header ?? null;
    decodedFiles.set(this, decoded);
  }

  /** Number of records. */
  get size(): number {
    return this.#decoded ? recordCount(this.#decoded) : 0;
  }

  /** The record with this id, or null. */
  async get(id: string): Promise<RecordData | null> {
    if (!this.#keys || !this.#decoded || this.size === 0) return null;
    const record = findRecord(this.#decoded, await recordHash(this.#keys, id));
    if (!record) return null;
    const plaintext = await openRecord(this.#keys, this.#decoded.headerBytes, record);
    return parseRecord(plaintext, id).data;
  }

  /** Every record whose id starts with `prefix`. Decrypts the whole vault. */
  async list(prefix: string): Promise<Map<string, RecordData>> {
    const out = new Map<string, RecordData>();
    const decoded = this.#decoded;
    if (!this.#keys || !decoded || recordCount(decoded) === 0) return out;
    const records = Array.from({ length: recordCount(decoded) }, (_, i) => recordAt(decoded, i));
    const header = this.#decoded!.headerBytes;
    const opened = await Promise.all(records.map((r) => openRecord(this.#keys!, header, r)));
    for (const plaintext of opened) {
      const { id, data } = parseRecord(plaintext, null);
      if (id.startsWith(prefix)) out.set(id, data);
    }
    return new Map([...out].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  }
}

/** How a transaction reaches its vault's journal. */
export interface TransactionJournal {
  reserve(): Promise<void>;
  commit(writes: JournalWrites): Promise<void>;
}

/** Changes collected during {@linkcode Vault.update}. */
export class VaultTransaction {
  readonly #snapshot: VaultSnapshot;
  readonly #writes = new Map<string, RecordData | null>();
  readonly #journal: TransactionJournal | null;

  constructor(snapshot: VaultSnapshot, journal: TransactionJournal | null = null) {
    this.#snapshot = snapshot;
    this.#journal = journal;
  }

  /**
   * Reserves disk room for {@linkcode journal}, before an irreversible outside call (a token
   * request): if the disk is already full this fails with exit 7 while nothing is lost yet.
   */
  async reserveJournal(): Promise<void> {
    await this.#journal?.reserve();
  }

  /**
   * Makes the writes so far durable now, encrypted and fsynced in `vault.journal`: if this
   * process dies, or the vault write fails, the next process to open the vault applies them.
   */
  async journal(): Promise<void> {
    await this.#journal?.commit(this.#writes);
  }

  /** The record as this transaction sees it (its own writes included). */
  async get(id: string): Promise<RecordData | null> {
    if (this.#writes.has(id)) return structuredClone(this.#writes.get(id)!) ?? null;
    return await this.#snapshot.get(id);
  }

  /** Every record with the prefix, this transaction's writes included. */
  async list(prefix: string): Promise<Map<string, RecordData>> {
    const out = await this.#snapshot.list(prefix);
    for (const [id, data] of this.#writes) {
      if (!id.startsWith(prefix)) continue;
      if (data === null) out.delete(id);
      else out.set(id, structuredClone(data));
    }
    return out;
  }

  put(id: string, data: RecordData): void {
    this.#writes.set(id, structuredClone(data));
  }

  delete(id: string): void {
    this.#writes.set(id, null);
  }

  /** Pending writes (null = delete). */
  get writes(): ReadonlyMap<string, RecordData | null> {
    return this.#writes;
  }
}

/** Options of a {@linkcode Vault}. */
export interface VaultOptions {
  /** How long to wait for `vault.lock` before failing with exit 7. */
  lockTimeoutMs?: number;
}

/** The encrypted vault file of one authsome home. */
export class Vault {
  readonly #platform: Platform;
  readonly #paths: HomePaths;
  readonly #lockTimeoutMs: number;
  #keyCache: { salt: string; iterations: number; keys: VaultKeys } | null = null;
  #predecessorAccepted = false;

  constructor(platform: Platform, paths: HomePaths, options: VaultOptions = {}) {
    this.#platform = platform;
    this.#paths = paths;
    this.#lockTimeoutMs = options.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS;
  }

  /**
   * Lets this vault be created in a home that holds the Python predecessor's files (for
   * `authsome import`); otherwise reading a missing vault there fails with the import hint.
   */
  acceptPredecessorHome(): void {
    this.#predecessorAccepted = true;
  }

  /** Path of the vault file. */
  get path(): string {
    return this.#paths.vault;
  }

  /**
   * Reads the vault without a lock. A missing file reads as an empty vault. A refresh journal
   * left by a killed process is applied first when nobody holds the lock (a holder applies it
   * itself, or is the live writer of that journal).
   */
  async read(): Promise<VaultSnapshot> {
    if (await this.#journalExists()) await this.#recoverIfIdle();
    return await this.#readReported();
  }

  async #readReported(): Promise<VaultSnapshot> {
    try {
      return await this.#read();
    } catch (error) {
      if (!(error instanceof AuthsomeError)) {
        // Not a directory, permission denied, I/O error: the home itself is unusable.
        throw new HomeUnavailableError(
          `cannot read the vault in ${this.#paths.home}: ${describeError(error)}`,
          { cause: error, hint: "Set AUTHSOME_HOME to a directory you can write" },
        );
      }
      if (!(error instanceof VaultCorruptError)) throw error;
      throw new VaultCorruptError(error.message, {
        cause: error.cause,
        hint: await this.#corruptionHint(),
      });
    }
  }

  /** The way back from a damaged vault: the previous generation if there is one. */
  async #corruptionHint(): Promise<string> {
    const { vault, vaultBackup } = this.#paths;
    if (await this.#platform.fs.stat(vaultBackup)) {
      return `Restore the previous generation: cp ${vaultBackup} ${vault}`;
    }
    return `No backup exists. To start over with an empty vault: mv ${vault} ${vault}.damaged`;
  }

  /** Without a vault of ours, a predecessor's credentials must not silently read as none. */
  async #refusePredecessorHome(): Promise<void> {
    // Only a home without our vault gets here: the check is not loaded on `get`'s path.
    const { detectPredecessorHome, predecessorHomeError } = await import("./predecessor.ts");
    const found = await detectPredecessorHome(this.#platform, this.#paths);
    if (found) throw predecessorHomeError(this.#paths, found);
  }

  async #read(): Promise<VaultSnapshot> {
    const [, , bytes] = await Promise.all([
      assertSafeHome(this.#platform, this.#paths.home),
      assertPrivate(this.#platform, this.#paths.vault, "the vault"),
      this.#platform.fs.readFile(this.#paths.vault),
    ]);
    if (bytes === null) {
      if (!this.#predecessorAccepted) await this.#refusePredecessorHome();
      return new VaultSnapshot(null, null);
    }
    return await this.#open(bytes);
  }

  /**
   * Runs `change` under `vault.lock` against a fresh read and writes the result atomically
   * (keeping the previous file as `vault.enc.bak`) if it changed anything. `signal` ends the
   * wait for the lock with `InterruptedError`.
   */
  async update<T>(
    change: (tx: VaultTransaction) => Promise<T> | T,
    options: { lockTimeoutMs?: number; signal?: AbortSignal } = {},
  ): Promise<T> {
    await this.ensureHome();
    const timeout = options.lockTimeoutMs ?? this.#lockTimeoutMs;
    const lock = await this.#lock(timeout, options.signal);
    if (!lock) {
      throw new VaultLockedError(
        `the vault is locked by another authsome process (waited ${timeout / 1000} s)`,
        { hint: `Retry when it finishes; to see who holds it: fuser ${this.#paths.vaultLock}` },
      );
    }
    const state: { journal: "none" | "reserved" | "committed" } = { journal: "none" };
    try {
      await this.#recover();
      const snapshot = await this.read();
      const keys = snapshot.header ? this.#keyCache!.keys : null;
      const tx = new VaultTransaction(snapshot, {
        reserve: async () => {
          if (!keys || state.journal !== "none") return;
          await this.#reserveJournal(keys);
          state.journal = "reserved";
        },
        commit: async (writes) => {
          if (!keys || !snapshot.header) return;
          if (state.journal === "none") await this.#reserveJournal(keys);
          state.journal = "reserved";
          await this.#commitJournal(keys, snapshot.header.generation, writes);
          state.journal = "committed";
        },
      });
      const result = await change(tx);
      if (tx.writes.size > 0) await this.#write(snapshot, keys, tx.writes);
      if (state.journal !== "none") await this.#removeJournal();
      return result;
    } catch (error) {
      // A committed journal stays for the next process; a bare reservation protects nothing.
      if (state.journal === "reserved") await this.#removeJournal();
      throw error;
    } finally {
      await lock.release();
    }
  }

  async #lock(timeoutMs: number, signal?: AbortSignal) {
    try {
      return await this.#platform.fs.lock(this.#paths.vaultLock, timeoutMs, signal);
    } catch (error) {
      if (signal?.aborted) throw error; // An interruption, for the caller to report as one.
      throw await writeFailure("the lock file", this.#paths.vaultLock, this.#paths.home, error);
    }
  }

  async #journalExists(): Promise<boolean> {
    try {
      return (await this.#platform.fs.stat(this.#paths.vaultJournal)) !== null;
    } catch {
      return false; // The read that follows reports an unusable home.
    }
  }

  /** Recovery for a reader: only when no live process holds the lock. Best effort. */
  async #recoverIfIdle(): Promise<void> {
    let lock;
    try {
      lock = await this.#platform.fs.lock(this.#paths.vaultLock, 0);
    } catch {
      return;
    }
    if (!lock) return;
    try {
      await this.#recover();
    } catch {
      // The next update recovers (or fails with the reason) before it writes anything, so no
      // refresh ever starts from the stale refresh token the journal supersedes.
    } finally {
      await lock.release();
    }
  }

  /**
   * Under the lock: removes temp copies left by killed writes and applies a committed journal
   * whose vault write never happened (the vault is still at the journal's base generation).
   */
  async #recover(): Promise<void> {
    const { fs } = this.#platform;
    const home = this.#paths.home;
    const { findVaultLeftovers } = await import("./leftovers.ts");
    for (const name of await findVaultLeftovers(fs, home)) await fs.remove(`${home}/${name}`);
    const path = this.#paths.vaultJournal;
    const bytes = await fs.readFile(path);
    if (bytes === null) return;
    const snapshot = await this.#readReported();
    if (snapshot.header) {
      const keys = this.#keyCache!.keys;
      const content = await (await journalModule()).openJournal(keys, bytes);
      if (content.kind === "entry" && content.baseGeneration === snapshot.header.generation) {
        await this.#write(snapshot, keys, content.writes);
      }
    }
    await this.#removeJournal();
  }

  async #reserveJournal(keys: VaultKeys): Promise<void> {
    const path = this.#paths.vaultJournal;
    const { journalReservation, sealJournal } = await journalModule();
    try {
      await this.#platform.fs.writeFileAtomic(path, journalReservation(keys.keyId), {
        mode: 0o600,
      });
      // A first sealing costs a cold process milliseconds; pay them before the answer arrives.
      await sealJournal(keys, 0n, new Map(), this.#platform.randomBytes(NONCE_LENGTH));
    } catch (error) {
      throw await writeFailure("the refresh journal", path, this.#paths.home, error);
    }
  }

  async #commitJournal(keys: VaultKeys, base: bigint, writes: JournalWrites): Promise<void> {
    const path = this.#paths.vaultJournal;
    const { journalReservation, sealJournal } = await journalModule();
    const nonce = this.#platform.randomBytes(NONCE_LENGTH);
    const sealed = await sealJournal(keys, base, writes, nonce);
    try {
      if (sealed.length <= ((await this.#platform.fs.stat(path))?.size ?? 0)) {
        await this.#platform.fs.overwrite(path, sealed);
      } else {
        // Larger than the reservation (a huge transaction): needs fresh disk space.
        const file = journalReservation(keys.keyId);
        const whole = sealed.length > file.length ? sealed : file;
        whole.set(sealed, 0);
        await this.#platform.fs.writeFileAtomic(path, whole, { mode: 0o600 });
      }
    } catch (error) {
      throw await writeFailure("the refresh journal", path, this.#paths.home, error);
    }
  }

  async #removeJournal(): Promise<void> {
    // A journal left behind is harmless: its base generation no longer matches the vault.
    await this.#platform.fs.remove(this.#paths.vaultJournal).catch(() => {});
  }

  /** Creates the home directory (0700) if missing. */
  async ensureHome(): Promise<void> {
    try {
      await this.#platform.fs.ensureDir(this.#paths.home, 0o700);
    } catch (error) {
      throw await writeFailure("the authsome home", this.#paths.home, this.#paths.home, error);
    }
    await assertSafeHome(this.#platform, this.#paths.home);
  }

  /** Creates the key and an empty vault if they do not exist yet. */
  async initialize(): Promise<{ created: boolean }> {
    return await this.update(async (tx) => {
      const existing = await this.#platform.fs.stat(this.#paths.vault);
      if (existing) return { created: false };
      // An empty write still seals the header, binding the key source to the file.
      tx.delete("__init__");
      return { created: true };
    });
  }

  async #keysFor(header: VaultHeader | null): Promise<VaultKeys> {
    const saltKey = header ? header.salt.toHex() : "";
    const cached = this.#keyCache;
    if (cached && header && cached.salt === saltKey && cached.iterations === header.iterations) {
      return cached.keys;
    }
    const resolved = await resolveKey(this.#platform, this.#paths, header);
    const keys = await deriveVaultKeys(resolved.rawKey);
    if (header && !constantTimeEqual(keys.keyId, header.keyId)) {
      throw wrongKey(header, resolved.source, this.#paths);
    }
    this.#keyCache = { salt: resolved.salt.toHex(), iterations: resolved.iterations, keys };
    this.#newHeader = {
      keySource: resolved.source,
      kdf: resolved.kdf as VaultHeader["kdf"],
      iterations: resolved.iterations,
      salt: resolved.salt,
      keyId: keys.keyId,
      recordCount: 0,
      generation: 0n,
    };
    return keys;
  }

  #newHeader: VaultHeader | null = null;

  async #open(bytes: Uint8Array): Promise<VaultSnapshot> {
    const header = decodeHeader(bytes);
    const keys = await this.#keysFor(header);
    // The trailer is the last MAC_LENGTH bytes whatever the records say, so the MAC (computed
    // on Deno's worker thread) runs while this thread walks the record table: on 10,000
    // records each takes a few milliseconds.
    const computing = fileMac(keys, bytes.subarray(0, Math.max(0, bytes.length - MAC_LENGTH)));
    let decoded: DecodedVault;
    try {
      decoded = decodeVault(bytes);
    } catch (error) {
      await computing.catch(() => {});
      throw error;
    }
    const mac = await computing;
    if (!constantTimeEqual(mac, decoded.mac)) {
      throw new VaultCorruptError("the vault file is corrupt: the file MAC does not match", {
        hint: "Restore the previous generation: cp vault.enc.bak vault.enc (in the authsome home)",
      });
    }
    return new VaultSnapshot(keys, decoded);
  }

  async #write(
    snapshot: VaultSnapshot,
    existingKeys: VaultKeys | null,
    writes: ReadonlyMap<string, RecordData | null>,
  ): Promise<void> {
    const keys = existingKeys ?? await this.#keysFor(null);
    const base: VaultHeader = snapshot.header ?? this.#newHeader!;
    const staticHeader = encodeHeader(base);
    const changes: RecordChange[] = [];
    for (const [id, data] of writes) {
      const hash = await recordHash(keys, id);
      if (data === null) {
        changes.push({ hash, record: null });
        continue;
      }
      const plaintext = encoder.encode(JSON.stringify({ id, data }));
      const nonce = this.#platform.randomBytes(NONCE_LENGTH);
      changes.push({ hash, record: await sealRecord(keys, staticHeader, hash, plaintext, nonce) });
    }
    const file = encodeChangedVault(
      decodedFiles.get(snapshot) ?? null,
      changes,
      (recordCount) => encodeHeader({ ...base, recordCount, generation: base.generation + 1n }),
    );
    file.set(
      await fileMac(keys, file.subarray(0, file.length - MAC_LENGTH)),
      file.length - MAC_LENGTH,
    );
    try {
      await this.#platform.fs.writeFileAtomic(
        this.#paths.vault,
        file,
        { mode: 0o600, backupPath: this.#paths.vaultBackup },
      );
    } catch (error) {
      throw await writeFailure("the vault", this.#paths.vault, this.#paths.home, error);
    }
  }
}
