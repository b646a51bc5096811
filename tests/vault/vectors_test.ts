/**
 * Pinned test vectors for the vault format (v1). If these fail, the on-disk format changed:
 * that needs a new format version, not new vectors.
 */
import assert from "node:assert/strict";
import { homePaths } from "../../src/model/home.ts";
import { decodeVault, HEADER_LENGTH } from "../../src/vault/format.ts";
import { encodeKey } from "../../src/vault/key_source.ts";
import { Vault } from "../../src/vault/vault.ts";
import { fakePlatform, sequentialRandom, tempHome } from "../_fakes/platform.ts";

const FIXTURE = new URL("./fixtures/v1_env_key.vault.hex", import.meta.url);
const KEY = encodeKey(Uint8Array.from({ length: 32 }, (_, i) => i));

function hexToBytes(hex: string): Uint8Array {
  const clean = hex.replace(/\s+/g, "");
  return Uint8Array.from(
    { length: clean.length / 2 },
    (_, i) => parseInt(clean.slice(i * 2, i * 2 + 2), 16),
  );
}

async function buildVector(home: string): Promise<Uint8Array> {
  const platform = fakePlatform({
    env: { AUTHSOME_MASTER_KEY: KEY },
    random: sequentialRandom(1),
  });
  const vault = new Vault(platform, homePaths(home));
  await vault.update((tx) => {
    tx.put("connection/default/openai/default", {
      auth_type: "api_key",
      api_key: "sk-test-vector-0000000000000000",
      status: "connected",
    });
    tx.put("provider/default/openai", { default_connection: "default" });
  });
  return Deno.readFileSync(homePaths(home).vault);
}

Deno.test("vault format v1: writing the pinned inputs reproduces the pinned file byte for byte", async () => {
  await using dir = await tempHome();
  const built = await buildVector(dir.home);
  if (Deno.env.get("AUTHSOME_WRITE_VECTORS") === "1") {
    const hex = Array.from(built, (b) => b.toString(16).padStart(2, "0")).join("");
    Deno.writeTextFileSync(FIXTURE, hex.replace(/(.{64})/g, "$1\n") + "\n");
  }
  assert.deepEqual(built, hexToBytes(Deno.readTextFileSync(FIXTURE)));
});

Deno.test("vault format v1: the pinned file decodes with the pinned key", async () => {
  await using dir = await tempHome();
  const bytes = hexToBytes(Deno.readTextFileSync(FIXTURE));
  const decoded = decodeVault(bytes);
  assert.equal(new TextDecoder().decode(bytes.subarray(0, 8)), "AUTHSOME");
  assert.equal(decoded.header.keySource, 2);
  assert.equal(decoded.header.kdf, 0);
  assert.equal(decoded.header.recordCount, 2);
  assert.equal(decoded.header.generation, 1n);
  assert.equal(decoded.authenticated.length, bytes.length - 32);
  assert.ok(bytes.length > HEADER_LENGTH);
  Deno.mkdirSync(dir.home, { recursive: true, mode: 0o700 });
  Deno.writeFileSync(homePaths(dir.home).vault, bytes, { mode: 0o600 });
  const platform = fakePlatform({ env: { AUTHSOME_MASTER_KEY: KEY } });
  const snapshot = await new Vault(platform, homePaths(dir.home)).read();
  assert.deepEqual(await snapshot.get("provider/default/openai"), {
    default_connection: "default",
  });
  assert.equal(
    (await snapshot.get("connection/default/openai/default"))?.api_key,
    "sk-test-vector-0000000000000000",
  );
});
