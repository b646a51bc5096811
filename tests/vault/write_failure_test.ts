/**
 * A vault write that the disk refuses (full, read-only, no permission) is a vault error: exit 7,
 * naming the path and the reason in words, with the way out. Never the generic exit 1.
 */
import assert from "node:assert/strict";
import { HomeUnavailableError } from "../../src/errors.ts";
import { homePaths } from "../../src/model/home.ts";
import { denoFileSystem } from "../../src/platform/deno.ts";
import { encodeKey } from "../../src/vault/key_source.ts";
import { Vault } from "../../src/vault/vault.ts";
import { writeFailureReason } from "../../src/vault/write_failure.ts";
import { fakePlatform, tempHome } from "../_fakes/platform.ts";

Deno.test.sanitizer?.({ ops: true, resources: true });

const KEY = encodeKey(new Uint8Array(32).fill(7));

function osError(code: string, text: string, errno: number): Error {
  return Object.assign(new Error(`${text} (os error ${errno}): open '/x/.vault.enc.1.a.tmp'`), {
    code,
  });
}

const CASES = [
  { code: "ENOSPC", text: "No space left on device", errno: 28, reason: "no space left on device" },
  { code: "EACCES", text: "Permission denied", errno: 13, reason: "permission denied" },
  { code: "EROFS", text: "Read-only file system", errno: 30, reason: "read-only file system" },
];

for (const { code, text, errno, reason } of CASES) {
  Deno.test(`a vault write failing with ${code} exits 7: 'cannot write the vault <path>: ${reason}'`, async () => {
    await using dir = await tempHome();
    const platform = fakePlatform({ env: { AUTHSOME_MASTER_KEY: KEY } });
    const vault = new Vault(platform, homePaths(dir.home));
    await vault.update((tx) => tx.put("a", { v: 1 }));
    platform.fs = {
      ...denoFileSystem,
      writeFileAtomic: () => Promise.reject(osError(code, text, errno)),
    };
    const error = await vault.update((tx) => tx.put("a", { v: 2 })).catch((e) => e);
    assert.ok(error instanceof HomeUnavailableError, String(error));
    assert.equal(error.exitCode, 7);
    assert.equal(error.message, `cannot write the vault ${dir.home}/vault.enc: ${reason}`);
    assert.ok(error.hint?.includes(dir.home), String(error.hint));
    // Nothing lost: the previous generation is still there and readable.
    platform.fs = denoFileSystem;
    assert.deepEqual(await (await vault.read()).get("a"), { v: 1 });
  });
}

Deno.test("the lock file and the key file failing to be created are exit 7 too", async () => {
  await using dir = await tempHome();
  const platform = fakePlatform();
  platform.fs = {
    ...denoFileSystem,
    lock: () => Promise.reject(osError("EACCES", "Permission denied", 13)),
  };
  const locked = await new Vault(platform, homePaths(dir.home)).update(() => {}).catch((e) => e);
  assert.ok(locked instanceof HomeUnavailableError, String(locked));
  assert.equal(
    locked.message,
    `cannot write the lock file ${dir.home}/vault.lock: permission denied`,
  );
  platform.fs = {
    ...denoFileSystem,
    writeFileAtomic: () => Promise.reject(osError("ENOSPC", "No space left on device", 28)),
  };
  const keyless = await new Vault(platform, homePaths(dir.home)).initialize().catch((e) => e);
  assert.ok(keyless instanceof HomeUnavailableError, String(keyless));
  assert.equal(
    keyless.message,
    `cannot write the key file ${dir.home}/master.key: no space left on device`,
  );
});

Deno.test("an unknown OS error keeps Deno's words, without the os error number and path", () => {
  assert.equal(
    writeFailureReason(new Error("Too many open files (os error 24): open '/a/b'")),
    "too many open files",
  );
});
