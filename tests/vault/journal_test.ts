/**
 * The refresh journal: an entry committed inside a transaction survives the death of its
 * process (or a failed vault write) and is applied by the next process, exactly once, and the
 * file never holds a secret in the clear.
 */
import assert from "node:assert/strict";
import { HomeUnavailableError } from "../../src/errors.ts";
import { homePaths } from "../../src/model/home.ts";
import { denoFileSystem } from "../../src/platform/deno.ts";
import type { FileSystem } from "../../src/platform/types.ts";
import { deriveVaultKeys } from "../../src/vault/crypto.ts";
import {
  JOURNAL_RESERVED_BYTES,
  journalPath,
  journalReservation,
  openJournal,
  sealJournal,
} from "../../src/vault/journal.ts";
import { encodeKey } from "../../src/vault/key_source.ts";
import { Vault } from "../../src/vault/vault.ts";
import { fakePlatform, tempHome } from "../_fakes/platform.ts";

Deno.test.sanitizer?.({ ops: true, resources: true });

const KEY = encodeKey(new Uint8Array(32).fill(7));
const ROTATED = "rt-ROTATED-CANARY-0f3b9c2a71d44e1b";
const ID = "connection/default/fakehub/default";

/** A vault whose vault-file writes fail with `error` while `failing.on` is true. */
function vaultWith(home: string, failing: { on: boolean; error?: Error } = { on: false }) {
  const platform = fakePlatform({ env: { AUTHSOME_MASTER_KEY: KEY } });
  const fs: FileSystem = {
    ...denoFileSystem,
    writeFileAtomic(path, data, options) {
      if (failing.on && path.endsWith("/vault.enc")) {
        return Promise.reject(failing.error ?? enospc(path));
      }
      return denoFileSystem.writeFileAtomic(path, data, options);
    },
  };
  platform.fs = fs;
  return new Vault(platform, homePaths(home), { lockTimeoutMs: 500 });
}

function enospc(path: string): Error {
  return Object.assign(new Error(`No space left on device (os error 28): open '${path}'`), {
    code: "ENOSPC",
  });
}

/** Commits a journal with the rotated token, then the vault write fails (disk full). */
async function journalThenFailedWrite(home: string): Promise<void> {
  const failing = { on: false };
  const vault = vaultWith(home, failing);
  await vault.update((tx) => tx.put(ID, { refresh_token: "rt-old" }));
  failing.on = true;
  await assert.rejects(
    vault.update(async (tx) => {
      await tx.reserveJournal();
      tx.put(ID, { refresh_token: ROTATED });
      await tx.journal();
    }),
    HomeUnavailableError,
  );
}

Deno.test("a journal committed before a failed vault write is applied by the next update, then removed", async () => {
  await using dir = await tempHome();
  await journalThenFailedWrite(dir.home);
  assert.ok(await denoFileSystem.stat(journalPath(dir.home)), "the journal survived");
  const next = vaultWith(dir.home);
  await next.update(() => {});
  assert.deepEqual(await (await next.read()).get(ID), { refresh_token: ROTATED });
  assert.equal(await denoFileSystem.stat(journalPath(dir.home)), null);
});

Deno.test("a plain read applies a pending journal when nobody holds the lock", async () => {
  await using dir = await tempHome();
  await journalThenFailedWrite(dir.home);
  const snapshot = await vaultWith(dir.home).read();
  assert.deepEqual(await snapshot.get(ID), { refresh_token: ROTATED });
  assert.equal(await denoFileSystem.stat(journalPath(dir.home)), null);
});

Deno.test("a read does not wait for, nor touch, the journal of a transaction in progress", async () => {
  await using dir = await tempHome();
  const writer = vaultWith(dir.home);
  await writer.update((tx) => tx.put(ID, { refresh_token: "rt-old" }));
  let seenInside: unknown;
  await writer.update(async (tx) => {
    await tx.reserveJournal();
    tx.put(ID, { refresh_token: ROTATED });
    await tx.journal();
    const started = Date.now();
    seenInside = await (await vaultWith(dir.home).read()).get(ID);
    assert.ok(Date.now() - started < 400, "the reader did not wait for the lock");
    assert.ok(await denoFileSystem.stat(journalPath(dir.home)), "still the writer's journal");
  });
  assert.deepEqual(seenInside, { refresh_token: "rt-old" });
  assert.equal(await denoFileSystem.stat(journalPath(dir.home)), null);
});

Deno.test("a journal whose vault write did happen is never applied again (a later change stays)", async () => {
  await using dir = await tempHome();
  const vault = vaultWith(dir.home);
  await vault.update((tx) => tx.put(ID, { refresh_token: "rt-old" }));
  let leftover: Uint8Array | null = null;
  await vault.update(async (tx) => {
    tx.put(ID, { refresh_token: ROTATED });
    await tx.journal();
    leftover = await denoFileSystem.readFile(journalPath(dir.home));
  });
  // Killed after the vault write but before the journal's removal: the file is still there...
  await Deno.writeFile(journalPath(dir.home), leftover!, { mode: 0o600 });
  // ...and the user has logged out since (another process, which found it stale).
  await vaultWith(dir.home).update((tx) => tx.delete(ID));
  await Deno.writeFile(journalPath(dir.home), leftover!, { mode: 0o600 });
  assert.equal(await (await vaultWith(dir.home).read()).get(ID), null);
  assert.equal(await denoFileSystem.stat(journalPath(dir.home)), null);
});

Deno.test("a bare reservation (killed before the answer) is removed and changes nothing", async () => {
  await using dir = await tempHome();
  const vault = vaultWith(dir.home);
  await vault.update((tx) => tx.put(ID, { refresh_token: "rt-old" }));
  const keys = await deriveVaultKeys(new Uint8Array(32).fill(7));
  await Deno.writeFile(journalPath(dir.home), journalReservation(keys.keyId), { mode: 0o600 });
  assert.deepEqual(await (await vaultWith(dir.home).read()).get(ID), { refresh_token: "rt-old" });
  assert.equal(await denoFileSystem.stat(journalPath(dir.home)), null);
});

Deno.test("a transaction that reserved but never committed leaves no journal behind", async () => {
  await using dir = await tempHome();
  const vault = vaultWith(dir.home);
  await vault.update((tx) => tx.put(ID, { refresh_token: "rt-old" }));
  await vault.update(async (tx) => {
    await tx.reserveJournal();
    assert.equal((await denoFileSystem.stat(journalPath(dir.home)))?.size, JOURNAL_RESERVED_BYTES);
    tx.put(ID, { refresh_token: "rt-old", last_refresh_error: "invalid_grant" });
  });
  await assert.rejects(
    vault.update(async (tx) => {
      await tx.reserveJournal();
      throw new Error("network down");
    }),
    /network down/,
  );
  assert.equal(await denoFileSystem.stat(journalPath(dir.home)), null);
});

Deno.test("the journal holds its secrets only sealed with the vault key", async () => {
  await using dir = await tempHome();
  await journalThenFailedWrite(dir.home);
  const bytes = await Deno.readFile(journalPath(dir.home));
  const latin1 = new TextDecoder("latin1").decode(bytes);
  for (const form of [ROTATED, btoa(ROTATED), "refresh_token", ID, "fakehub"]) {
    assert.ok(!latin1.includes(form), `${form} is in the clear in the journal`);
  }
  assert.equal(Deno.statSync(journalPath(dir.home)).mode! & 0o777, 0o600);
  const right = await deriveVaultKeys(new Uint8Array(32).fill(7));
  const wrong = await deriveVaultKeys(new Uint8Array(32).fill(8));
  const opened = await openJournal(right, bytes);
  assert.equal(opened.kind, "entry");
  assert.equal((await openJournal(wrong, bytes)).kind, "unreadable");
  // One flipped ciphertext bit: unreadable, never a wrong answer.
  const flipped = bytes.slice();
  flipped[60] ^= 1;
  assert.deepEqual(await openJournal(right, flipped), {
    kind: "unreadable",
    reason: "failed its integrity check",
  });
});

Deno.test("journal entries round-trip through seal and open", async () => {
  const keys = await deriveVaultKeys(new Uint8Array(32).fill(3));
  const writes = new Map<string, Record<string, unknown> | null>([
    [ID, { refresh_token: ROTATED }],
    ["gone", null],
  ]);
  const sealed = await sealJournal(keys, 41n, writes, new Uint8Array(12).fill(1));
  const file = journalReservation(keys.keyId);
  file.set(sealed, 0);
  assert.deepEqual(await openJournal(keys, file), {
    kind: "entry",
    baseGeneration: 41n,
    writes,
  });
  assert.deepEqual(await openJournal(keys, file.subarray(0, sealed.length - 1)), {
    kind: "unreadable",
    reason: "truncated",
  });
});
