import assert from "node:assert/strict";
import { type AuditEntry, AuditLog, readLastLines } from "../../src/audit/audit_log.ts";
import { lineHash } from "../../src/audit/chain.ts";
import { HomeUnavailableError } from "../../src/errors.ts";
import { Secret } from "../../src/model/secret.ts";
import { denoPlatform } from "../../src/platform/deno.ts";
import type { Platform } from "../../src/platform/types.ts";

function platformAt(startMs: number): Platform & { advance(ms: number): void } {
  let now = startMs;
  const real = denoPlatform();
  return {
    ...real,
    clock: { now: () => now, sleep: real.clock.sleep },
    advance: (ms) => void (now += ms),
  };
}

async function withHome(fn: (home: string) => Promise<void>): Promise<void> {
  const home = await Deno.makeTempDir({ prefix: "authsome-audit-test-" });
  try {
    await fn(home);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
}

Deno.test("append: one NDJSON object per line, timestamp from the clock, nulls dropped", async () => {
  await withHome(async (home) => {
    const platform = platformAt(Date.UTC(2025, 5, 1, 12, 0, 0));
    const audit = new AuditLog(platform, home);
    await audit.append({
      event: "login",
      provider: "github",
      connection: "default",
      status: "success",
      flow: "pkce",
    });
    platform.advance(1500);
    await audit.append({
      event: "refresh",
      provider: "github",
      connection: "default",
      status: "failure",
      error: "invalid_grant",
      new_status: "invalid",
      account: null,
      extra: undefined,
    });
    await audit.append({ event: "daemon_start", status: "success", pid: 4242 });
    const text = await Deno.readTextFile(`${home}/audit.log`);
    assert.ok(text.endsWith("\n"));
    const lines = text.split("\n").slice(0, -1);
    // The chain fields come last: `seq`, and `prev`, the SHA-256 of the line before.
    const chain = async (seq: number, before: string | null) =>
      `,"seq":${seq},"prev":"${before === null ? "0".repeat(64) : await lineHash(before)}"}`;
    const expected = [
      '{"timestamp":"2025-06-01T12:00:00.000Z","event":"login","provider":"github","connection":"default","status":"success","flow":"pkce"',
      '{"timestamp":"2025-06-01T12:00:01.500Z","event":"refresh","provider":"github","connection":"default","status":"failure","error":"invalid_grant","new_status":"invalid"',
      '{"timestamp":"2025-06-01T12:00:01.500Z","event":"daemon_start","status":"success","pid":4242',
    ];
    assert.deepEqual(lines, [
      expected[0] + await chain(1, null),
      expected[1] + await chain(2, lines[0]),
      expected[2] + await chain(3, lines[1]),
    ]);
    for (const line of lines) assert.equal(typeof JSON.parse(line), "object");
    assert.equal((Deno.statSync(`${home}/audit.log`).mode ?? 0) & 0o777, 0o600);
  });
});

Deno.test("append: secret fields never land, whatever the caller passes", async () => {
  await withHome(async (home) => {
    const audit = new AuditLog(platformAt(0), home);
    const secret = new Secret("ghp_16C7e42F292c6912E7710c838347Ae178B4a");
    await audit.append({
      event: "get",
      provider: "github",
      connection: "default",
      status: "success",
      field: "access_token",
      access_token: "plain-leaked-value",
      client_secret: secret,
      error: `server said ${secret.reveal()}`,
    });
    const text = await Deno.readTextFile(`${home}/audit.log`);
    assert.ok(!text.includes("plain-leaked-value"));
    assert.ok(!text.includes(secret.reveal()));
    const entry = JSON.parse(text);
    assert.equal(entry.field, "access_token");
    assert.equal(entry.access_token, "[redacted]");
    assert.equal(entry.client_secret, "[redacted]");
    assert.equal(entry.error, "server said [redacted]");
  });
});

Deno.test("concurrent appends from several writers never interleave", async () => {
  await withHome(async (home) => {
    const platform = platformAt(0);
    const writers = Array.from({ length: 4 }, () => new AuditLog(platform, home));
    const big = "x".repeat(64 * 1024);
    await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        writers[i % writers.length].append({
          event: "run",
          provider: `p${i}`,
          status: "success",
          command: big,
        })),
    );
    const lines = (await Deno.readTextFile(`${home}/audit.log`)).split("\n").filter(Boolean);
    assert.equal(lines.length, 40);
    const providers = lines.map((line) => JSON.parse(line).provider).sort();
    assert.deepEqual(providers, Array.from({ length: 40 }, (_, i) => `p${i}`).sort());
  });
});

Deno.test("tail: last n parsed entries, oldest first, skipping unparsable lines", async () => {
  await withHome(async (home) => {
    const audit = new AuditLog(platformAt(0), home);
    assert.deepEqual(await audit.tail(5), []);
    assert.deepEqual(await audit.tailLines(5), []);
    for (let i = 0; i < 10; i++) {
      await audit.append({
        event: i % 2 ? "refresh" : "get",
        provider: `p${i}`,
        status: "success",
      });
      if (i === 7) {
        await Deno.writeTextFile(`${home}/audit.log`, "not json\n[1]\n", { append: true });
      }
    }
    const tail = await audit.tail(3);
    assert.deepEqual(tail.map((e: AuditEntry) => e.provider), ["p7", "p8", "p9"]);
    const four = await audit.tail(4);
    assert.deepEqual(four.map((e) => e.provider), ["p6", "p7", "p8", "p9"]);
    assert.equal((await audit.tail(50)).length, 10);
    assert.deepEqual(await audit.tail(0), []);
    const raw = await audit.tailLines(4);
    assert.deepEqual(raw.slice(0, 2), ["not json", "[1]"]);
    assert.equal(JSON.parse(raw[3]).provider, "p9");
  });
});

Deno.test("the seed page's filter works on the log lines", async () => {
  await withHome(async (home) => {
    const audit = new AuditLog(platformAt(0), home);
    await audit.append({ event: "login", provider: "github", status: "success" });
    await audit.append({ event: "refresh", provider: "github", status: "success" });
    await audit.append({ event: "export", provider: "slack", status: "failure", error: "x" });
    await audit.append({ event: "get", provider: "slack", status: "success" });
    // python3: for line in sys.stdin: e = json.loads(line); if 'refresh' in e.get('event', '') ...
    const picked = (await audit.tailLines(50))
      .map((line) => JSON.parse(line))
      .filter((e) => String(e.event ?? "").includes("refresh") || e.status === "failure")
      .map((e) => e.event);
    assert.deepEqual(picked, ["refresh", "export"]);
  });
});

Deno.test("readLastLines handles missing files, blank lines and multi-byte text", async () => {
  await withHome(async (home) => {
    const platform = denoPlatform();
    assert.deepEqual(await readLastLines(platform, `${home}/missing`, 3), []);
    await Deno.writeTextFile(`${home}/f`, "a\n\nbé—ü\r\nc");
    assert.deepEqual(await readLastLines(platform, `${home}/f`, 2), ["bé—ü", "c"]);
    assert.deepEqual(await readLastLines(platform, `${home}/f`, 9), ["a", "bé—ü", "c"]);
  });
});

Deno.test("an unwritable home rejects with HomeUnavailableError", async () => {
  await withHome(async (home) => {
    await Deno.writeTextFile(`${home}/file`, "");
    const audit = new AuditLog(platformAt(0), `${home}/file`);
    await assert.rejects(
      audit.append({ event: "logout", provider: "github", status: "success" }),
      HomeUnavailableError,
    );
    // A failed append does not wedge the queue.
    await assert.rejects(
      audit.append({ event: "logout", status: "success" }),
      HomeUnavailableError,
    );
  });
});

Deno.test("concurrent appends from several processes never interleave", async () => {
  await withHome(async (home) => {
    const worker = new URL("./_append_worker.ts", import.meta.url).pathname;
    const runs = ["a", "b", "c"].map((tag) =>
      new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", "--no-check", worker, home, tag, "25"],
        stdout: "null",
        stderr: "piped",
      }).output()
    );
    for (const result of await Promise.all(runs)) {
      assert.equal(result.code, 0, new TextDecoder().decode(result.stderr));
    }
    const entries = await new AuditLog(denoPlatform(), home).tail(1000);
    assert.equal(entries.length, 75);
    assert.ok((await new AuditLog(denoPlatform(), home).verify()).intact, "the chain survives");
    for (const tag of ["a", "b", "c"]) {
      const seqs = entries.filter((e) => e.provider === tag).map((e) => e.nth);
      assert.deepEqual(seqs, Array.from({ length: 25 }, (_, i) => i));
    }
  });
});

Deno.test("a lock held past the deadline rejects instead of writing unlocked", async () => {
  await withHome(async (home) => {
    const platform = platformAt(0);
    const held = await platform.fs.lock(`${home}/audit.log.lock`, 1000);
    assert.ok(held);
    try {
      const audit = new AuditLog(platform, home, { lockTimeoutMs: 50 });
      await assert.rejects(audit.append({ event: "login", status: "success" }), /audit log lock/);
    } finally {
      await held.release();
    }
  });
});

const python = (() => {
  try {
    return new Deno.Command("python3", { args: ["--version"] }).outputSync().success;
  } catch {
    return false;
  }
})();

Deno.test({
  name: "the seed page's python3 pipeline reads the log as printed",
  ignore: !python,
  async fn() {
    await withHome(async (home) => {
      const audit = new AuditLog(platformAt(0), home);
      await audit.append({ event: "login", provider: "github", status: "success" });
      await audit.append({
        event: "refresh",
        provider: "github",
        status: "failure",
        error: "é\u2028",
      });
      await audit.append({ event: "get", provider: "slack", status: "success" });
      const script = [
        "import sys, json",
        "for line in sys.stdin:",
        "    e = json.loads(line)",
        "    if 'refresh' in e.get('event', '') or e.get('status') == 'failure':",
        "        print(e)",
      ].join("\n");
      const child = new Deno.Command("python3", {
        args: ["-c", script],
        stdin: "piped",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const writer = child.stdin.getWriter();
      await writer.write(await Deno.readFile(`${home}/audit.log`));
      await writer.close();
      const out = await child.output();
      assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
      const printed = new TextDecoder().decode(out.stdout).trim().split("\n");
      assert.equal(printed.length, 1);
      assert.match(printed[0], /'event': 'refresh'/);
    });
  },
});

/** A platform whose positional reads are counted, to see how much of a file was read. */
function countingPlatform(): Platform & { bytesRead(): number } {
  const real = denoPlatform();
  let total = 0;
  return {
    ...real,
    fs: {
      ...real.fs,
      async openRead(path) {
        const file = await real.fs.openRead(path);
        if (file === null) return null;
        return {
          size: file.size,
          async read(start, end) {
            const bytes = await file.read(start, end);
            total += bytes.length;
            return bytes;
          },
          close: () => file.close(),
        };
      },
    },
    bytesRead: () => total,
  };
}

Deno.test("tail and readLastLines read a large log from its end, across slice boundaries", async () => {
  await withHome(async (home) => {
    // ~1.3 MB of lines of uneven length, with multi-byte characters that slice boundaries
    // (every 64 KiB) are bound to cut through, and blank and unparsable lines in between.
    const lines: string[] = [];
    for (let i = 0; i < 12_000; i++) {
      if (i % 997 === 0) lines.push("");
      else if (i % 1009 === 0) lines.push("not json {");
      else {
        lines.push(JSON.stringify({
          timestamp: `t${i}`,
          event: "get",
          provider: "émoji-€-" + "x".repeat(i % 170),
          status: "success",
          n: i,
        }));
      }
    }
    const path = `${home}/audit.log`;
    await Deno.writeTextFile(path, lines.join("\n") + "\n", { mode: 0o600 });
    const nonBlank = lines.filter((line) => line.trim().length > 0);
    const parsed = nonBlank.filter((line) => !line.startsWith("not json"));
    for (const n of [1, 50, 700, 3000]) {
      const platform = countingPlatform();
      const entries = await new AuditLog(platform, home).tail(n);
      assert.deepEqual(entries, parsed.slice(-n).map((line) => JSON.parse(line)), `tail(${n})`);
      assert.deepEqual(await readLastLines(platform, path, n), nonBlank.slice(-n));
    }
    const small = countingPlatform();
    await new AuditLog(small, home).tail(50);
    const size = Deno.statSync(path).size;
    assert.ok(small.bytesRead() <= 2 * 64 * 1024, `read ${small.bytesRead()} of ${size} bytes`);
    // Asking for more than there is returns everything, once.
    assert.deepEqual(await readLastLines(denoPlatform(), path, 1e9), nonBlank);
  });
});

Deno.test("readLastLines joins a line that spans many slices, with or without a final newline", async () => {
  await withHome(async (home) => {
    const path = `${home}/log`;
    const long = "é".repeat(150_000) + "x"; // 300 KB in UTF-8: five slices, characters cut apart
    for (const text of [`first\n${long}`, `first\n${long}\n`, long]) {
      await Deno.writeTextFile(path, text);
      const expected = text.split("\n").filter((line) => line.length > 0);
      assert.deepEqual(await readLastLines(denoPlatform(), path, 5), expected);
      assert.deepEqual(await readLastLines(denoPlatform(), path, 1), [long]);
    }
  });
});
