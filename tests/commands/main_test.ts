import assert from "node:assert/strict";
import { main } from "../../src/commands/main.ts";
import { fakePlatform } from "../_fakes/platform.ts";

Deno.test.sanitizer?.({ ops: true, resources: true });

Deno.test("main: on a Deno without Uint8Array.fromBase64 (before 2.5) it says so, exit 1", async () => {
  const platform = fakePlatform({ env: { AUTHSOME_HOME: "/nonexistent/authsome-test" } });
  const descriptor = Object.getOwnPropertyDescriptor(Uint8Array, "fromBase64")!;
  // deno-lint-ignore no-explicit-any -- simulating an older runtime
  delete (Uint8Array as any).fromBase64;
  let code: number;
  try {
    code = await main(["get", "openai", "--field", "api_key"], platform);
  } finally {
    Object.defineProperty(Uint8Array, "fromBase64", descriptor);
  }
  assert.equal(code, 1);
  assert.equal(platform.terminal.stdout, "");
  assert.match(platform.terminal.stderr, /^Error: authsome needs Deno 2\.5 or newer\n/);
  assert.match(platform.terminal.stderr, /deno upgrade/);
  assert.equal(typeof Uint8Array.fromBase64, "function", "restored");
});

Deno.test("main: `authsome help <command>` shows that command's help, `authsome help` the top help", async () => {
  const platform = fakePlatform({ env: { AUTHSOME_HOME: "/nonexistent/authsome-test" } });
  assert.equal(await main(["help", "get"], platform), 0);
  assert.match(platform.terminal.stdout, /^Usage: authsome get <provider> \[flags\]\n/);
  const top = fakePlatform({ env: { AUTHSOME_HOME: "/nonexistent/authsome-test" } });
  assert.equal(await main(["help"], top), 0);
  assert.match(top.terminal.stdout, /^authsome \S+\n/);
  assert.match(top.terminal.stdout, /Exit codes:/);
});

Deno.test("main: a command's help names the global flags once, in one line, not as a second table", async () => {
  const platform = fakePlatform({ env: { AUTHSOME_HOME: "/nonexistent/authsome-test" } });
  assert.equal(await main(["login", "--help"], platform), 0);
  const text = platform.terminal.stdout;
  assert.match(
    text,
    /Global flags:\n {2}--json, --quiet, --no-color, --verbose, --log-file <path>/,
  );
  assert.ok(!text.includes("print machine-readable JSON"), text);
  assert.match(text, /login flow \(default: the provider's; one of: pkce,/);
});
