/**
 * End-to-end: `authsome log --verify` on a real home, and `log -n` across a rotated log.
 */
import assert from "node:assert/strict";
import { AuditLog } from "../../src/audit/audit_log.ts";
import { denoPlatform } from "../../src/platform/deno.ts";
import { expectExit, openaiKey, show, stdoutJson, withHome } from "./_helpers.ts";

Deno.test("log --verify: exit 0 with a one-line summary, exit 1 naming the edited entry", () =>
  withHome(async (h) => {
    for (const connection of ["a", "b", "c"]) {
      await h.login("openai", openaiKey(connection), { connection });
    }
    await h.ok(["get", "openai", "--connection", "b", "--field", "api_key"]);
    const intact = await h.ok(["log", "--verify"]);
    assert.equal(intact.stdout, "4 entries, chain intact.\n");
    const json = stdoutJson(await h.ok(["log", "--verify", "--json"]));
    assert.equal(json.intact, true);
    assert.equal(json.entries, 4);
    assert.match(String(json.head), /^[0-9a-f]{64}$/);
    // The human listing does not show the chain fields; --json keeps them.
    const listing = await h.ok(["log"]);
    assert.ok(!/seq=|prev=/.test(listing.stdout), show(listing));
    const lines = (await h.ok(["log", "--json"])).stdout.trim().split("\n");
    assert.equal(JSON.parse(lines[3]).seq, 4);

    // Someone rewrites who logged in to connection b (the next entry recorded its hash).
    const text = await Deno.readTextFile(h.path("audit.log"));
    const edited = text.replace(
      '"connection":"b","status":"success","flow"',
      '"connection":"x","status":"success","flow"',
    );
    assert.notEqual(edited, text);
    await Deno.writeTextFile(h.path("audit.log"), edited);
    const broken = await h.run(["log", "--verify"]);
    expectExit(broken, 1, "log --verify on an edited log");
    assert.match(broken.stdout, /chain broken: entry #2 \(audit\.log line 2, .*\) was edited/);
    const brokenJson = await h.run(["log", "--verify", "--json"]);
    expectExit(brokenJson, 1, "log --verify --json on an edited log");
    const report = JSON.parse(brokenJson.stdout);
    assert.equal(report.intact, false);
    assert.deepEqual(
      { problem: report.broken.problem, seq: report.broken.seq, line: report.broken.line },
      { problem: "edited", seq: 2, line: 2 },
    );
  }));

Deno.test("log --verify on a log older than the chain says where the chain starts", () =>
  withHome(async (h) => {
    await h.login("openai", openaiKey());
    // Strip the chain fields, as a log written by an older authsome would look.
    const old = (await Deno.readTextFile(h.path("audit.log"))).replace(
      /,"seq":\d+,"prev":"\w+"/g,
      "",
    );
    await Deno.writeTextFile(h.path("audit.log"), old);
    const before = await h.ok(["log", "--verify"]);
    assert.match(before.stdout, /1 entry, all written before the chain existed/);
    await h.ok(["get", "openai", "--field", "api_key"]);
    const after = await h.ok(["log", "--verify"]);
    assert.match(
      after.stdout,
      /The chain starts at entry #1 \(audit\.log line 2, .*\); the 1 entry before it predate/,
    );
    assert.match(after.stdout, /2 entries, chain intact\.\n$/);
  }));

Deno.test("log -n reads across the rotation boundary and --verify across the kept files", () =>
  withHome(async (h) => {
    await h.login("openai", openaiKey());
    // Rotation at 10 MiB is slow to reach through the CLI; a small cap writes the same files.
    const audit = new AuditLog(denoPlatform(), h.home, { maxBytes: 4096, keep: 2 });
    for (let i = 0; i < 80; i++) {
      await audit.append({
        event: "get",
        provider: "openai",
        connection: `c${i}`,
        status: "success",
      });
    }
    assert.ok((await Deno.stat(h.path("audit.log.2"))).isFile);
    const newest = (await Deno.readTextFile(h.path("audit.log"))).trim().split("\n").length;
    const n = newest + 3;
    const tail = (await h.ok(["log", "-n", String(n), "--json"])).stdout.trim().split("\n");
    assert.equal(tail.length, n);
    assert.deepEqual(
      tail.map((line) => JSON.parse(line).connection),
      Array.from({ length: n }, (_, i) => `c${80 - n + i}`),
    );
    const verified = await h.ok(["log", "--verify"]);
    assert.match(
      verified.stdout,
      /^Kept history begins at entry #\d+ \(audit\.log\.2 line 1, .*\); older entries were rotated away\.\n\d+ entries, chain intact\.\n$/,
    );
  }));
