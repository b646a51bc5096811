import assert from "node:assert/strict";
import { VERSION } from "../src/version.ts";

Deno.test("VERSION equals the version in deno.json", async () => {
  const config = JSON.parse(
    await Deno.readTextFile(new URL("../deno.json", import.meta.url)),
  );
  assert.match(VERSION, /^\d+\.\d+\.\d+/);
  assert.equal(VERSION, config.version);
});
