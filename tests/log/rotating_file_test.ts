import assert from "node:assert/strict";
import { RotatingFile } from "../../src/log/rotating_file.ts";
import { mode, testPlatform, withTempDir } from "./_fakes.ts";

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

function line(i: number): string {
  return `line ${String(i).padStart(4, "0")} ${"x".repeat(29)}\n`; // 40 bytes
}

Deno.test("rotates at the size limit and keeps exactly five rotated files", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/logs/authsome.log`;
    const file = new RotatingFile(testPlatform(), { path, maxBytes: 100 });
    for (let i = 0; i < 30; i++) await file.write(line(i));
    const names = (await Array.fromAsync(Deno.readDir(`${dir}/logs`))).map((e) => e.name).sort();
    assert.deepEqual(names, [
      "authsome.log",
      "authsome.log.1",
      "authsome.log.2",
      "authsome.log.3",
      "authsome.log.4",
      "authsome.log.5",
      "authsome.log.lock",
    ]);
    // Two 40-byte lines fit in 100 bytes; the third rotates. Newest lines are in the live file.
    assert.equal(await Deno.readTextFile(path), line(28) + line(29));
    assert.equal(await Deno.readTextFile(`${path}.1`), line(26) + line(27));
    assert.equal(await Deno.readTextFile(`${path}.5`), line(18) + line(19));
    for (const name of names) {
      assert.ok(Deno.statSync(`${dir}/logs/${name}`).size <= 100, name);
      assert.equal(mode(`${dir}/logs/${name}`), 0o600, name);
    }
    assert.equal(mode(`${dir}/logs`), 0o700);
  });
});

Deno.test("a write that fits does not rotate; an oversized line goes to an empty file", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/authsome.log`;
    const file = new RotatingFile(testPlatform(), { path, maxBytes: 80 });
    await file.write(line(0));
    await file.write(line(1));
    assert.equal(await exists(`${path}.1`), false);
    assert.equal(await Deno.readTextFile(path), line(0) + line(1));
    await file.write("y".repeat(200) + "\n");
    assert.equal(await Deno.readTextFile(`${path}.1`), line(0) + line(1));
    assert.equal((await Deno.readTextFile(path)).length, 201);
    await file.write(line(2));
    assert.equal(await Deno.readTextFile(path), line(2));
  });
});

Deno.test("concurrent writers that all see a full file rotate it once", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/authsome.log`;
    const initial = line(0) + line(1) + line(2) + line(3);
    await Deno.writeTextFile(path, initial, { mode: 0o600 });
    // Each writer sees 160 + 40 > 170 and wants to rotate; after one rotation all four fit.
    const writers = Array.from(
      { length: 4 },
      () => new RotatingFile(testPlatform(), { path, maxBytes: 170 }),
    );
    await Promise.all(writers.map((w, i) => w.write(line(10 + i))));
    assert.equal(await Deno.readTextFile(`${path}.1`), initial);
    assert.equal(await exists(`${path}.2`), false);
    const live = (await Deno.readTextFile(path)).split("\n").filter(Boolean).sort();
    assert.deepEqual(live, [10, 11, 12, 13].map((i) => line(i).trimEnd()));
  });
});

Deno.test("a log file readable by others is tightened to 0600", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/authsome.log`;
    await Deno.writeTextFile(path, "old\n");
    await Deno.chmod(path, 0o644);
    await new RotatingFile(testPlatform(), { path }).write("new\n");
    assert.equal(mode(path), 0o600);
    assert.equal(await Deno.readTextFile(path), "old\nnew\n");
  });
});
