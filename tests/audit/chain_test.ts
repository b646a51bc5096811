/**
 * The audit log's hash chain: `authsome log --verify` must name the first entry that was
 * edited, deleted or moved, say where the chain starts after entries older than it, and check
 * across rotated files.
 */
import assert from "node:assert/strict";
import { AuditLog } from "../../src/audit/audit_log.ts";
import { GENESIS_HASH, lineHash } from "../../src/audit/chain.ts";
import { denoPlatform } from "../../src/platform/deno.ts";

Deno.test.sanitizer?.({ ops: true, resources: true });

const platform = denoPlatform();

async function withHome(fn: (home: string) => Promise<void>): Promise<void> {
  const home = await Deno.makeTempDir({ prefix: "authsome-chain-test-" });
  try {
    await fn(home);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
}

async function writeEntries(audit: AuditLog, count: number, from = 0): Promise<void> {
  for (let i = from; i < from + count; i++) {
    await audit.append({ event: "get", provider: `p${i}`, status: "success", field: "api_key" });
  }
}

function readLines(path: string): string[] {
  return Deno.readTextFileSync(path).split("\n").filter(Boolean);
}

function writeLines(path: string, lines: string[]): void {
  Deno.writeTextFileSync(path, lines.map((line) => line + "\n").join(""));
}

Deno.test("every entry carries seq and the hash of the line before it", async () => {
  await withHome(async (home) => {
    await writeEntries(new AuditLog(platform, home), 3);
    const lines = readLines(`${home}/audit.log`);
    const entries = lines.map((line) => JSON.parse(line));
    assert.deepEqual(entries.map((e) => e.seq), [1, 2, 3]);
    assert.equal(entries[0].prev, GENESIS_HASH);
    assert.equal(entries[1].prev, await lineHash(lines[0]));
    assert.equal(entries[2].prev, await lineHash(lines[1]));
    // A caller cannot forge the chain fields.
    await new AuditLog(platform, home).append({
      event: "run",
      status: "success",
      seq: 99,
      prev: "f".repeat(64),
    });
    const last = JSON.parse(readLines(`${home}/audit.log`)[3]);
    assert.equal(last.seq, 4);
    assert.equal(last.prev, await lineHash(lines[2]));
  });
});

Deno.test("verify: an intact log passes and reports its head", async () => {
  await withHome(async (home) => {
    const audit = new AuditLog(platform, home);
    assert.deepEqual((await audit.verify()).entries, 0);
    await writeEntries(audit, 5);
    const report = await audit.verify();
    assert.equal(report.intact, true);
    assert.equal(report.entries, 5);
    assert.equal(report.unchained, 0);
    assert.equal(report.rotatedAway, false);
    assert.equal(report.head, await lineHash(readLines(`${home}/audit.log`)[4]));
  });
});

Deno.test("verify names an edited entry", async () => {
  await withHome(async (home) => {
    const audit = new AuditLog(platform, home);
    await writeEntries(audit, 5);
    const lines = readLines(`${home}/audit.log`);
    lines[2] = lines[2].replace('"status":"success"', '"status":"failure"');
    writeLines(`${home}/audit.log`, lines);
    const { intact, broken } = await audit.verify();
    assert.equal(intact, false);
    assert.equal(broken?.problem, "edited");
    assert.equal(broken?.seq, 3);
    assert.equal(broken?.line, 3);
    assert.match(broken!.message, /^entry #3 \(audit\.log line 3, .*\) was edited/);
  });
});

Deno.test("verify names a deleted entry, and a run of them", async () => {
  await withHome(async (home) => {
    const audit = new AuditLog(platform, home);
    await writeEntries(audit, 6);
    const lines = readLines(`${home}/audit.log`);
    writeLines(`${home}/audit.log`, [...lines.slice(0, 1), ...lines.slice(2)]);
    let broken = (await audit.verify()).broken!;
    assert.equal(broken.problem, "deleted");
    assert.equal(broken.seq, 2);
    assert.match(broken.message, /^entry #2 deleted/);
    writeLines(`${home}/audit.log`, [...lines.slice(0, 2), ...lines.slice(5)]);
    broken = (await audit.verify()).broken!;
    assert.match(broken.message, /^entry #3 to #5 deleted: entry #6 .* follows entry #2/);
  });
});

Deno.test("verify names a reordered entry", async () => {
  await withHome(async (home) => {
    const audit = new AuditLog(platform, home);
    await writeEntries(audit, 5);
    const lines = readLines(`${home}/audit.log`);
    writeLines(`${home}/audit.log`, [lines[0], lines[1], lines[3], lines[2], lines[4]]);
    const broken = (await audit.verify()).broken!;
    // #4 right after #2 looks like a deletion of #3; #3 after #4 would be the reordering.
    assert.ok(["deleted", "reordered"].includes(broken.problem), broken.message);
    assert.equal(broken.line, 3);
    writeLines(`${home}/audit.log`, [lines[1], lines[0], ...lines.slice(2)]);
    const swapped = (await audit.verify()).broken!;
    assert.equal(swapped.problem, "reordered");
    assert.match(swapped.message, /entry #1 .* is out of order: it comes after entry #2/);
  });
});

Deno.test("verify: an inserted unchained line or a garbled one breaks the chain there", async () => {
  await withHome(async (home) => {
    const audit = new AuditLog(platform, home);
    await writeEntries(audit, 3);
    const lines = readLines(`${home}/audit.log`);
    writeLines(`${home}/audit.log`, [
      lines[0],
      '{"event":"get","status":"success"}',
      ...lines.slice(1),
    ]);
    assert.equal((await audit.verify()).broken?.problem, "unchained");
    writeLines(`${home}/audit.log`, [lines[0], "{not json", ...lines.slice(1)]);
    const broken = (await audit.verify()).broken!;
    assert.equal(broken.problem, "unreadable");
    assert.equal(broken.line, 2);
  });
});

Deno.test("entries older than the chain: verify says where the chain starts", async () => {
  await withHome(async (home) => {
    const legacy = [
      '{"timestamp":"2026-01-01T00:00:00.000Z","event":"login","provider":"openai","status":"success"}',
      '{"timestamp":"2026-01-02T00:00:00.000Z","event":"get","provider":"openai","status":"success"}',
    ];
    writeLines(`${home}/audit.log`, legacy);
    const audit = new AuditLog(platform, home);
    let report = await audit.verify();
    assert.equal(report.intact, true);
    assert.equal(report.unchained, 2);
    assert.equal(report.chainStarts, null);
    await writeEntries(audit, 2);
    const first = JSON.parse(readLines(`${home}/audit.log`)[2]);
    assert.equal(first.seq, 1);
    assert.equal(first.prev, await lineHash(legacy[1]), "the chain hooks onto the last old line");
    report = await audit.verify();
    assert.equal(report.intact, true);
    assert.equal(report.unchained, 2);
    assert.deepEqual(report.chainStarts, {
      file: "audit.log",
      line: 3,
      seq: 1,
      timestamp: first.timestamp,
    });
    // Editing the last old line is caught by the first chained entry.
    const lines = readLines(`${home}/audit.log`);
    lines[1] = lines[1].replace("openai", "github");
    writeLines(`${home}/audit.log`, lines);
    const broken = (await audit.verify()).broken!;
    assert.equal(broken.problem, "edited");
    assert.equal(broken.line, 2);
  });
});

Deno.test("rotation keeps the chain across files, and tail reads across the boundary", async () => {
  await withHome(async (home) => {
    const audit = new AuditLog(platform, home, { maxBytes: 2048, keep: 3 });
    await writeEntries(audit, 60);
    const files = [...Deno.readDirSync(home)].map((e) => e.name).filter((n) =>
      n.startsWith("audit.log") && !n.endsWith(".lock")
    ).sort();
    assert.deepEqual(files, ["audit.log", "audit.log.1", "audit.log.2", "audit.log.3"]);
    for (const file of files) {
      assert.ok(Deno.statSync(`${home}/${file}`).size <= 2048, `${file} stays under the cap`);
      assert.equal(Deno.statSync(`${home}/${file}`).mode! & 0o777, 0o600);
    }
    // The first entry of audit.log points at the last one of audit.log.1.
    const newest = readLines(`${home}/audit.log`);
    const rotated = readLines(`${home}/audit.log.1`);
    assert.equal(JSON.parse(newest[0]).prev, await lineHash(rotated.at(-1)!));
    assert.equal(JSON.parse(newest[0]).seq, JSON.parse(rotated.at(-1)!).seq + 1);
    // `log -n` spans the files.
    const tail = await audit.tail(newest.length + 2);
    assert.deepEqual(
      tail.map((e) => e.provider),
      Array.from({ length: newest.length + 2 }, (_, i) => `p${60 - newest.length - 2 + i}`),
    );
    // The oldest entries were dropped: verify says where the kept history begins.
    const report = await audit.verify();
    assert.equal(report.intact, true, report.broken?.message ?? "");
    assert.equal(report.rotatedAway, true);
    assert.equal(report.historyBegins?.file, "audit.log.3");
    assert.equal(report.historyBegins?.line, 1);
    assert.ok(report.historyBegins!.seq! > 1);
    assert.equal(report.entries, 60 - report.historyBegins!.seq! + 1);
    // An entry edited in a rotated file is found there.
    const middle = readLines(`${home}/audit.log.2`);
    middle[1] = middle[1].replace("api_key", "access_token");
    writeLines(`${home}/audit.log.2`, middle);
    const broken = (await audit.verify()).broken!;
    assert.equal(broken.file, "audit.log.2");
    assert.equal(broken.line, 2);
    assert.equal(broken.problem, "edited");
  });
});

Deno.test("a deleted rotated file between kept ones is reported as deleted entries", async () => {
  await withHome(async (home) => {
    const audit = new AuditLog(platform, home, { maxBytes: 2048, keep: 3 });
    await writeEntries(audit, 60);
    // Dropping audit.log.1 and moving .2 in its place removes a block from the middle.
    await Deno.rename(`${home}/audit.log.2`, `${home}/audit.log.1`);
    await Deno.rename(`${home}/audit.log.3`, `${home}/audit.log.2`);
    const broken = (await audit.verify()).broken!;
    assert.equal(broken.problem, "deleted");
    assert.equal(broken.file, "audit.log");
    assert.equal(broken.line, 1);
  });
});
