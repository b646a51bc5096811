/**
 * The Python predecessor's home is recognised (JSON master.key, profiles/<p>/store.db): its key
 * file is accepted as the vault key, and a missing vault there fails with the import hint
 * rather than reading as "nothing stored".
 */
import assert from "node:assert/strict";
import { PredecessorHomeError } from "../../src/errors.ts";
import { homePaths } from "../../src/model/home.ts";
import { denoFileSystem } from "../../src/platform/deno_fs.ts";
import { resolveKey } from "../../src/vault/key_source.ts";
import { detectPredecessorHome, parsePredecessorKeyFile } from "../../src/vault/predecessor.ts";
import { Vault } from "../../src/vault/vault.ts";
import { writePredecessorHome } from "../migrate/_predecessor_home.ts";
import { fakePlatform, tempHome } from "../_fakes/platform.ts";

Deno.test.sanitizer?.({ ops: true, resources: true });

const KEY = Uint8Array.from({ length: 32 }, (_, i) => i + 1);

Deno.test("parsePredecessorKeyFile reads the key of the JSON key file and nothing else", () => {
  const json = JSON.stringify({ version: 1, key: KEY.toBase64(), algorithm: "AES-256-GCM" });
  assert.deepEqual(parsePredecessorKeyFile(json), KEY);
  assert.equal(parsePredecessorKeyFile(KEY.toBase64()), null, "our own format");
  assert.equal(parsePredecessorKeyFile('{"version":1,"key":"c2hvcnQ="}'), null, "not 32 bytes");
  assert.equal(parsePredecessorKeyFile("{not json"), null);
});

Deno.test("a predecessor home: detected, its key accepted, a missing vault refused", async () => {
  await using temp = await tempHome();
  const platform = fakePlatform();
  platform.fs = denoFileSystem;
  await writePredecessorHome(temp.home, { key: KEY });
  const paths = homePaths(temp.home);
  assert.deepEqual(await detectPredecessorHome(platform, paths), {
    jsonKeyFile: true,
    profiles: ["default"],
  });
  const resolved = await resolveKey(platform, paths, null);
  assert.deepEqual(resolved.rawKey, KEY, "the predecessor's key is the vault key");

  const vault = new Vault(platform, paths);
  await assert.rejects(() => vault.read(), (error: unknown) => {
    assert.ok(error instanceof PredecessorHomeError);
    assert.equal(error.exitCode, 7);
    assert.match(error.hint ?? "", /authsome import/);
    return true;
  });
  vault.acceptPredecessorHome();
  assert.equal((await vault.read()).header, null);
});

Deno.test("an empty or ordinary home is not a predecessor's", async () => {
  await using temp = await tempHome();
  const platform = { ...fakePlatform(), fs: denoFileSystem };
  assert.equal(await detectPredecessorHome(platform, homePaths(temp.home)), null);
});
