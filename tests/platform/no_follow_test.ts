/**
 * Logs, locks and the audit log are opened without following a symbolic link: another local
 * user who manages to plant one (say `audit.log -> ~/.bashrc`) must not make authsome append to,
 * lock, or read back a file of their choice.
 */
import assert from "node:assert/strict";
import { denoFileSystem as fs } from "../../src/platform/deno.ts";
import { SymlinkRefusedError } from "../../src/platform/types.ts";

Deno.test.sanitizer?.({ ops: true, resources: true });

const encoder = new TextEncoder();

async function withPlantedLink(
  fn: (link: string, victim: string, dir: string) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "authsome-nofollow-" });
  try {
    const victim = `${dir}/victim`;
    Deno.writeTextFileSync(victim, "precious\n");
    const link = `${dir}/audit.log`;
    Deno.symlinkSync(victim, link);
    await fn(link, victim, dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("appendFile refuses a planted symlink and leaves its target untouched", async () => {
  await withPlantedLink(async (link, victim) => {
    await assert.rejects(
      fs.appendFile(link, encoder.encode("attacker-chosen line\n"), { mode: 0o600 }),
      SymlinkRefusedError,
    );
    assert.equal(Deno.readTextFileSync(victim), "precious\n");
  });
});

Deno.test("appendFile refuses a dangling symlink instead of creating its target", async () => {
  const dir = await Deno.makeTempDir({ prefix: "authsome-nofollow-" });
  try {
    Deno.symlinkSync(`${dir}/created-by-us`, `${dir}/authsome.log`);
    await assert.rejects(
      fs.appendFile(`${dir}/authsome.log`, encoder.encode("x\n"), { mode: 0o600 }),
      SymlinkRefusedError,
    );
    assert.throws(() => Deno.statSync(`${dir}/created-by-us`), Deno.errors.NotFound);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("lock refuses a symlinked lock file", async () => {
  await withPlantedLink(async (link) => {
    await assert.rejects(fs.lock(link, 100), SymlinkRefusedError);
  });
});

Deno.test("openRead refuses a symlinked log (nothing of the target is read)", async () => {
  await withPlantedLink(async (link) => {
    await assert.rejects(fs.openRead(link), SymlinkRefusedError);
  });
});

Deno.test("appendFile, lock and openRead still work on regular files and create missing ones", async () => {
  const dir = await Deno.makeTempDir({ prefix: "authsome-nofollow-" });
  try {
    await fs.appendFile(`${dir}/a.log`, encoder.encode("one\n"), { mode: 0o600 });
    await fs.appendFile(`${dir}/a.log`, encoder.encode("two\n"), { mode: 0o600 });
    assert.equal(Deno.readTextFileSync(`${dir}/a.log`), "one\ntwo\n");
    const lock = await fs.lock(`${dir}/a.lock`, 100);
    assert.ok(lock);
    await lock.release();
    const file = await fs.openRead(`${dir}/a.log`);
    assert.ok(file);
    assert.equal(file.size, 8);
    file.close();
    assert.equal(await fs.openRead(`${dir}/missing`), null);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("stat reports the owner's uid", async () => {
  const dir = await Deno.makeTempDir({ prefix: "authsome-nofollow-" });
  try {
    assert.equal((await fs.stat(dir))?.uid, Deno.uid());
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("chmod refuses a symlink instead of changing its target's mode", async () => {
  await withPlantedLink(async (link, victim) => {
    Deno.chmodSync(victim, 0o644);
    await assert.rejects(fs.chmod(link, 0o600), SymlinkRefusedError);
    assert.equal(Deno.statSync(victim).mode! & 0o777, 0o644);
  });
});
