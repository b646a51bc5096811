import assert from "node:assert/strict";
import { createLazyLogger } from "../../src/log/lazy_logger.ts";
import type { LoggerOptions } from "../../src/log/logger.ts";
import { testPlatform, withTempDir } from "./_fakes.ts";

Deno.test.sanitizer?.({ ops: true, resources: true });

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/** Options that record which of their fields were read, and how often secrets were asked for. */
function watchedOptions(options: LoggerOptions) {
  const read = new Set<string>();
  let secretLookups = 0;
  const watched = new Proxy({ ...options, knownValues: () => (secretLookups++, []) }, {
    get(target, key, receiver) {
      read.add(String(key));
      return Reflect.get(target, key, receiver);
    },
  });
  return { options: watched, read, secretLookups: () => secretLookups };
}

Deno.test("nothing is loaded or written until the first line", async () => {
  await withTempDir(async (home) => {
    const platform = testPlatform();
    const watch = watchedOptions({ platform, home });
    const log = createLazyLogger(watch.options);
    assert.equal(log.verbose, false);
    await log.flush();
    await log.close();
    // Only the verbose flag was looked at: the real logger was never built.
    assert.deepEqual([...watch.read], ["verbose"]);
    assert.equal(watch.secretLookups(), 0);
    assert.equal(await exists(`${home}/logs`), false);
    assert.deepEqual(platform.stderr, []);
  });
});

Deno.test("the first line builds the logger, and close() gets every line into the file", async () => {
  await withTempDir(async (home) => {
    const platform = testPlatform(Date.UTC(2025, 0, 2, 3, 4, 5));
    const watch = watchedOptions({ platform, home });
    const log = createLazyLogger(watch.options);
    log.debug("first", { provider: "github" });
    log.info("second");
    log.warn("third");
    log.error("fourth");
    await log.close();
    assert.ok(watch.read.has("platform") && watch.read.has("home"));
    assert.ok(watch.secretLookups() >= 4, "each line was redacted");
    const lines = (await Deno.readTextFile(`${home}/logs/authsome.log`)).split("\n").filter(
      Boolean,
    );
    assert.deepEqual(lines, [
      '2025-01-02T03:04:05.000Z DEBUG first {"provider":"github"}',
      "2025-01-02T03:04:05.000Z INFO second",
      "2025-01-02T03:04:05.000Z WARN third",
      "2025-01-02T03:04:05.000Z ERROR fourth",
    ]);
    assert.deepEqual(platform.stderr, ["Warning: third\n", "Error: fourth\n"]);
  });
});

Deno.test("flush() also waits for lines to reach the file", async () => {
  await withTempDir(async (home) => {
    const platform = testPlatform();
    const log = createLazyLogger({ platform, home });
    log.info("flushed line");
    await log.flush();
    assert.match(await Deno.readTextFile(`${home}/logs/authsome.log`), /INFO flushed line\n$/);
    await log.close();
  });
});

Deno.test("--verbose routes DEBUG and INFO lines to stderr too", async () => {
  await withTempDir(async (home) => {
    const platform = testPlatform();
    const log = createLazyLogger({ platform, home, verbose: true });
    assert.equal(log.verbose, true);
    log.debug("token request", { grant_type: "refresh_token" });
    log.info("refreshed");
    await log.close();
    assert.deepEqual(platform.stderr, [
      'DEBUG token request {"grant_type":"refresh_token"}\n',
      "INFO refreshed\n",
    ]);
  });
});

Deno.test('with --log-file "" lines reach stderr only, and no file is created', async () => {
  await withTempDir(async (home) => {
    const platform = testPlatform();
    const log = createLazyLogger({ platform, home, logFile: "", verbose: false });
    log.debug("quiet");
    log.warn("loud");
    await log.close();
    assert.deepEqual(platform.stderr, ["Warning: loud\n"]);
    assert.equal(await exists(`${home}/logs`), false);
  });
});
