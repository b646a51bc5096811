import assert from "node:assert/strict";
import { createLogger, logFilePath, nullLogger } from "../../src/log/logger.ts";
import { Secret } from "../../src/model/secret.ts";
import { mode, testPlatform, withTempDir } from "./_fakes.ts";

async function readLines(path: string): Promise<string[]> {
  return (await Deno.readTextFile(path)).split("\n").filter(Boolean);
}

Deno.test("file lines: RFC 3339 UTC time from the clock, level, message, fields", async () => {
  await withTempDir(async (home) => {
    const platform = testPlatform(Date.UTC(2025, 0, 2, 3, 4, 5, 678));
    const log = createLogger({ platform, home });
    log.debug("token request", { url: "https://github.com/login/oauth/access_token" });
    platform.setTime(Date.UTC(2025, 0, 2, 3, 4, 6));
    log.info("done");
    log.warn("slow");
    log.error("failed", { status: 503 });
    await log.close();
    assert.deepEqual(await readLines(`${home}/logs/authsome.log`), [
      '2025-01-02T03:04:05.678Z DEBUG token request {"url":"https://github.com/login/oauth/access_token"}',
      "2025-01-02T03:04:06.000Z INFO done",
      "2025-01-02T03:04:06.000Z WARN slow",
      '2025-01-02T03:04:06.000Z ERROR failed {"status":503}',
    ]);
    assert.equal(mode(`${home}/logs/authsome.log`), 0o600);
    assert.equal(mode(`${home}/logs`), 0o700);
  });
});

Deno.test("stderr without --verbose: only warnings and errors", async () => {
  await withTempDir(async (home) => {
    const platform = testPlatform();
    const log = createLogger({ platform, home });
    log.debug("debug line", { a: 1 });
    log.info("info line");
    log.warn("using cached token until 2025-01-02T04:00:00Z", { provider: "github" });
    log.error("refresh failed for github (default): invalid_grant");
    await log.flush();
    assert.deepEqual(platform.stderr, [
      "Warning: using cached token until 2025-01-02T04:00:00Z\n",
      "Error: refresh failed for github (default): invalid_grant\n",
    ]);
    assert.equal((await readLines(`${home}/logs/authsome.log`)).length, 4);
  });
});

Deno.test("stderr with --verbose: DEBUG and INFO lines too", async () => {
  await withTempDir(async (home) => {
    const platform = testPlatform();
    const log = createLogger({ platform, home, verbose: true });
    log.debug("POST https://oauth2.googleapis.com/token", { body: "refresh_token=1//0abc" });
    log.info("refreshed");
    log.warn("careful");
    await log.flush();
    assert.deepEqual(platform.stderr, [
      'DEBUG POST https://oauth2.googleapis.com/token {"body":"refresh_token=[redacted]"}\n',
      "INFO refreshed\n",
      "Warning: careful\n",
    ]);
  });
});

Deno.test('--log-file "" writes no file; --log-file <path> overrides the default', async () => {
  await withTempDir(async (home) => {
    const platform = testPlatform();
    const off = createLogger({ platform, home, logFile: "" });
    off.debug("nowhere");
    off.warn("still on stderr");
    await off.close();
    assert.deepEqual([...Deno.readDirSync(home)], []);
    assert.deepEqual(platform.stderr, ["Warning: still on stderr\n"]);

    const custom = `${home}/elsewhere/debug.log`;
    const on = createLogger({ platform, home, logFile: custom });
    on.debug("here");
    await on.close();
    assert.match((await readLines(custom))[0], /^\S+Z DEBUG here$/);
    assert.deepEqual([...Deno.readDirSync(home)].map((e) => e.name), ["elsewhere"]);
  });
  assert.equal(logFilePath("/h/", undefined), "/h/logs/authsome.log");
  assert.equal(logFilePath("/h", ""), null);
  assert.equal(logFilePath(undefined, undefined), null);
});

Deno.test("both sinks redact: key names, token shapes and known secrets", async () => {
  await withTempDir(async (home) => {
    const platform = testPlatform();
    const loaded = new Secret("sk-live-known-secret-9f8e7d");
    const log = createLogger({ platform, home, verbose: true });
    log.debug("token request", {
      url: "https://github.com/login/oauth/access_token",
      body: "grant_type=refresh_token&refresh_token=abc123&client_id=x",
      headers: { Authorization: "Bearer gho_16C7e42F292c6912E7710c838347Ae178B4a" },
    });
    log.debug('response {"access_token":"at-1234567","token_type":"bearer","expires_in":28800}');
    log.warn(`key ${loaded.reveal()} was rejected`);
    await log.close();
    const file = await Deno.readTextFile(`${home}/logs/authsome.log`);
    for (const text of [file, platform.stderr.join("")]) {
      for (const secret of ["abc123", "gho_16C7", "at-1234567", loaded.reveal()]) {
        assert.ok(!text.includes(secret), `${secret} leaked: ${text}`);
      }
      assert.ok(text.includes("grant_type=refresh_token&refresh_token=[redacted]&client_id=x"));
      assert.ok(text.includes('"token_type":"bearer","expires_in":28800'));
      assert.ok(text.includes("key [redacted] was rejected"));
    }
    assert.ok(file.includes('"url":"https://github.com/login/oauth/access_token"'));
  });
});

Deno.test("multi-line messages stay on one line", async () => {
  await withTempDir(async (home) => {
    const log = createLogger({ platform: testPlatform(), home });
    log.debug("response body:\nAuthorization: Basic dXNlcjpwYXNz\nfake 2025 ERROR line");
    await log.close();
    const lines = await readLines(`${home}/logs/authsome.log`);
    assert.equal(lines.length, 1);
    assert.ok(
      lines[0].endsWith("response body:\\nAuthorization: [redacted]\\nfake 2025 ERROR line"),
    );
  });
});

Deno.test("an unwritable log file never breaks the caller and warns once", async () => {
  await withTempDir(async (home) => {
    await Deno.writeTextFile(`${home}/not-a-dir`, "");
    const platform = testPlatform();
    const log = createLogger({ platform, logFile: `${home}/not-a-dir/authsome.log` });
    log.debug("one");
    await log.flush();
    log.debug("two");
    log.info("three");
    await log.close();
    assert.equal(platform.stderr.length, 1);
    assert.match(platform.stderr[0], /^Warning: cannot write the debug log .*not-a-dir/);
  });
});

Deno.test("bursts are batched and rotation still applies", async () => {
  await withTempDir(async (home) => {
    const log = createLogger({ platform: testPlatform(), home, maxBytes: 2000, keep: 2 });
    for (let burst = 0; burst < 10; burst++) {
      for (let i = 0; i < 20; i++) log.debug(`line ${burst * 20 + i}`);
      await log.flush();
    }
    await log.close();
    const names = [...Deno.readDirSync(`${home}/logs`)].map((e) => e.name).sort();
    assert.deepEqual(names, [
      "authsome.log",
      "authsome.log.1",
      "authsome.log.2",
      "authsome.log.lock",
    ]);
    const lines = [
      ...await readLines(`${home}/logs/authsome.log.2`),
      ...await readLines(`${home}/logs/authsome.log.1`),
      ...await readLines(`${home}/logs/authsome.log`),
    ];
    assert.ok(lines.at(-1)?.endsWith("DEBUG line 199"));
    // Whole bursts rotate together and stay in order.
    assert.equal(lines.length % 20, 0);
    const numbers = lines.map((l) => Number(l.split(" ").at(-1)));
    assert.deepEqual(numbers, numbers.toSorted((a, b) => a - b));
  });
});

Deno.test("nullLogger discards everything", async () => {
  nullLogger.debug("x", { access_token: "y" });
  nullLogger.warn("x");
  await nullLogger.flush();
  await nullLogger.close();
});
