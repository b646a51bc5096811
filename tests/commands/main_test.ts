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
