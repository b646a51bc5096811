import assert from "node:assert/strict";
import { denoFileSystem as fs } from "../../src/platform/deno.ts";

Deno.test.sanitizer?.({ ops: true, resources: true });

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const mode = (path: string) => Deno.statSync(path).mode! & 0o777;

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "authsome-platform-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Runs `fn` under `mask`, restoring the previous umask afterwards. */
async function withUmask<T>(mask: number, fn: () => Promise<T>): Promise<T> {
  const previous = Deno.umask(mask);
  try {
    return await fn();
  } finally {
    Deno.umask(previous);
  }
}

Deno.test("writeFileAtomic: the mode is exact, whatever the umask", async () => {
  await withDir(async (dir) => {
    await withUmask(
      0o000,
      () => fs.writeFileAtomic(`${dir}/a`, encoder.encode("a"), { mode: 0o600 }),
    );
    assert.equal(mode(`${dir}/a`), 0o600);
    await withUmask(
      0o077,
      () => fs.writeFileAtomic(`${dir}/b`, encoder.encode("b"), { mode: 0o640 }),
    );
    assert.equal(mode(`${dir}/b`), 0o640);
    // Replacing a loose file makes it private.
    Deno.writeTextFileSync(`${dir}/c`, "old");
    Deno.chmodSync(`${dir}/c`, 0o666);
    await fs.writeFileAtomic(`${dir}/c`, encoder.encode("new"), { mode: 0o600 });
    assert.equal(mode(`${dir}/c`), 0o600);
    assert.equal(Deno.readTextFileSync(`${dir}/c`), "new");
  });
});

Deno.test("writeFileAtomic: the previous file becomes the backup (same inode), no temp files", async () => {
  await withDir(async (dir) => {
    const path = `${dir}/vault.enc`;
    const backup = `${dir}/vault.enc.bak`;
    await fs.writeFileAtomic(path, encoder.encode("generation 1"), {
      mode: 0o600,
      backupPath: backup,
    });
    // No previous file: no backup, and no error.
    assert.equal(await fs.stat(backup), null);
    const firstInode = Deno.statSync(path).ino;
    await fs.writeFileAtomic(path, encoder.encode("generation 2"), {
      mode: 0o600,
      backupPath: backup,
    });
    assert.equal(Deno.readTextFileSync(path), "generation 2");
    assert.equal(Deno.readTextFileSync(backup), "generation 1");
    if (firstInode !== null) {
      assert.equal(Deno.statSync(backup).ino, firstInode, "hard link, not copy");
    }
    assert.equal(mode(backup), 0o600);
    await fs.writeFileAtomic(path, encoder.encode("generation 3"), {
      mode: 0o600,
      backupPath: backup,
    });
    assert.equal(Deno.readTextFileSync(backup), "generation 2");
    assert.deepEqual(await fs.readDir(dir), ["vault.enc", "vault.enc.bak"]);
  });
});

Deno.test("writeFileAtomic: large and empty contents are written whole", async () => {
  await withDir(async (dir) => {
    const big = crypto.getRandomValues(new Uint8Array(65536));
    const data = new Uint8Array(3 * 1024 * 1024);
    for (let i = 0; i < data.length; i += big.length) data.set(big, i);
    await fs.writeFileAtomic(`${dir}/big`, data, { mode: 0o600 });
    assert.deepEqual(Deno.readFileSync(`${dir}/big`), data);
    await fs.writeFileAtomic(`${dir}/empty`, new Uint8Array(), { mode: 0o600 });
    assert.equal(Deno.readFileSync(`${dir}/empty`).length, 0);
  });
});

Deno.test("writeFileAtomic: a write that cannot happen fails and leaves no temp file", async () => {
  await withDir(async (dir) => {
    Deno.writeTextFileSync(`${dir}/target`, "keep me");
    await assert.rejects(
      fs.writeFileAtomic(`${dir}/missing/x`, encoder.encode("x"), { mode: 0o600 }),
    );
    // A directory in the way of the final rename: the old entry survives, the temp is gone.
    Deno.mkdirSync(`${dir}/occupied`);
    Deno.writeTextFileSync(`${dir}/occupied/child`, "x");
    await assert.rejects(
      fs.writeFileAtomic(`${dir}/occupied`, encoder.encode("x"), { mode: 0o600 }),
    );
    assert.equal(Deno.readTextFileSync(`${dir}/occupied/child`), "x");
    assert.equal(Deno.readTextFileSync(`${dir}/target`), "keep me");
    assert.deepEqual(await fs.readDir(dir), ["occupied", "target"]);
  });
});

Deno.test("readFile/readTextFile/stat of a missing file give null; remove is idempotent", async () => {
  await withDir(async (dir) => {
    assert.equal(await fs.readFile(`${dir}/nope`), null);
    assert.equal(await fs.readTextFile(`${dir}/nope`), null);
    assert.equal(await fs.stat(`${dir}/nope`), null);
    await fs.remove(`${dir}/nope`);
    Deno.writeTextFileSync(`${dir}/yes`, "héllo");
    assert.equal(await fs.readTextFile(`${dir}/yes`), "héllo");
    assert.equal(decoder.decode((await fs.readFile(`${dir}/yes`))!), "héllo");
    const info = await fs.stat(`${dir}/yes`);
    assert.equal(info?.isFile, true);
    assert.equal(info?.size, 6);
    await fs.remove(`${dir}/yes`);
    assert.equal(await fs.stat(`${dir}/yes`), null);
  });
});

Deno.test("readFile of a directory is an error, not null", async () => {
  await withDir(async (dir) => {
    await assert.rejects(fs.readFile(dir));
  });
});

Deno.test("readDir lists names sorted; a missing directory is empty", async () => {
  await withDir(async (dir) => {
    for (const name of ["charlie.json", "alpha.json", "Bravo.json", ".hidden"]) {
      Deno.writeTextFileSync(`${dir}/${name}`, "{}");
    }
    Deno.mkdirSync(`${dir}/sub`);
    assert.deepEqual(await fs.readDir(dir), [
      ".hidden",
      "Bravo.json",
      "alpha.json",
      "charlie.json",
      "sub",
    ]);
    assert.deepEqual(await fs.readDir(`${dir}/missing`), []);
  });
});

Deno.test("ensureDir creates parents with the exact mode and leaves an existing dir alone", async () => {
  await withDir(async (dir) => {
    const nested = `${dir}/a/b/c`;
    await withUmask(0o000, () => fs.ensureDir(nested, 0o700));
    assert.equal(mode(nested), 0o700);
    assert.ok(Deno.statSync(`${dir}/a/b`).isDirectory);
    Deno.writeTextFileSync(`${nested}/file`, "x");
    await fs.ensureDir(nested, 0o700);
    assert.equal(Deno.readTextFileSync(`${nested}/file`), "x");
  });
});

Deno.test("appendFile creates with the mode and appends whole lines", async () => {
  await withDir(async (dir) => {
    const path = `${dir}/audit.log`;
    await withUmask(0o000, () => fs.appendFile(path, encoder.encode("one\n"), { mode: 0o600 }));
    await fs.appendFile(path, encoder.encode("two\n"), { mode: 0o600 });
    assert.equal(Deno.readTextFileSync(path), "one\ntwo\n");
    assert.equal(mode(path), 0o600);
  });
});

Deno.test("lock: a second taker times out with null; a released lock can be taken again", async () => {
  await withDir(async (dir) => {
    const path = `${dir}/vault.lock`;
    const first = await fs.lock(path, 1_000);
    assert.ok(first);
    assert.equal(mode(path), 0o600);
    const started = Date.now();
    const second = await fs.lock(path, 150);
    const waited = Date.now() - started;
    assert.equal(second, null);
    assert.ok(waited >= 140, `gave up after ${waited} ms, before the deadline`);
    assert.ok(waited < 1_000, `waited ${waited} ms for a 150 ms deadline`);
    await first.release();
    await first.release(); // idempotent
    const third = await fs.lock(path, 150);
    assert.ok(third, "a released lock can be re-taken");
    await third.release();
  });
});

Deno.test("lock: a waiter gets the lock as soon as the holder releases it", async () => {
  await withDir(async (dir) => {
    const path = `${dir}/vault.lock`;
    const holder = (await fs.lock(path, 1_000))!;
    const waiting = fs.lock(path, 5_000);
    await new Promise((resolve) => setTimeout(resolve, 50));
    await holder.release();
    const got = await waiting;
    assert.ok(got);
    await got.release();
  });
});

Deno.test("lock: a lock held by another process blocks us until that process exits", async () => {
  await withDir(async (dir) => {
    const path = `${dir}/vault.lock`;
    const holder = new URL("../e2e/_hold_lock.ts", import.meta.url).pathname;
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", holder, path],
      stdin: "piped",
      stdout: "piped",
      stderr: "null",
    }).spawn();
    const reader = child.stdout.getReader();
    try {
      const { value } = await reader.read();
      assert.equal(decoder.decode(value), "locked\n");
      assert.equal(await fs.lock(path, 100), null, "held by the child");
      const waiting = fs.lock(path, 5_000);
      const releasedAt = Date.now();
      await child.stdin.close(); // the child unlocks and exits
      const got = await waiting;
      assert.ok(got, "taken once the child let go");
      assert.ok(Date.now() - releasedAt < 4_000);
      await got.release();
    } finally {
      reader.releaseLock();
      await child.stdout.cancel();
      await child.status;
    }
  });
});

Deno.test("openRead: ranges of one open file, a missing file is null, reads past the end are short", async () => {
  await withDir(async (dir) => {
    assert.equal(await fs.openRead(`${dir}/missing`), null);
    const path = `${dir}/log`;
    await Deno.writeFile(path, encoder.encode("0123456789"));
    const file = (await fs.openRead(path))!;
    try {
      assert.equal(file.size, 10);
      assert.equal(decoder.decode(await file.read(3, 7)), "3456");
      assert.equal(decoder.decode(await file.read(8, 20)), "89");
      assert.equal((await file.read(5, 5)).length, 0);
      // Replacing the path does not change what the open file reads.
      await Deno.writeFile(`${path}.new`, encoder.encode("abcdefghij"));
      await Deno.rename(`${path}.new`, path);
      assert.equal(decoder.decode(await file.read(0, 4)), "0123");
    } finally {
      file.close();
    }
  });
});
