/**
 * Temp vault copies left by killed writes (they hold records deleted since) are removed by the
 * next process that takes `vault.lock`; other files are left alone.
 */
import assert from "node:assert/strict";
import { homePaths } from "../../src/model/home.ts";
import { encodeKey } from "../../src/vault/key_source.ts";
import { isVaultLeftover } from "../../src/vault/leftovers.ts";
import { Vault } from "../../src/vault/vault.ts";
import { fakePlatform, tempHome } from "../_fakes/platform.ts";

Deno.test.sanitizer?.({ ops: true, resources: true });

const KEY = encodeKey(new Uint8Array(32).fill(7));

Deno.test("temp vault copies a killed write left are removed under the lock by the next write", async () => {
  await using dir = await tempHome();
  const vault = new Vault(fakePlatform({ env: { AUTHSOME_MASTER_KEY: KEY } }), homePaths(dir.home));
  await vault.update((tx) => tx.put("connection/default/openai/default", { api_key: "sk-x" }));
  const vaultBytes = Deno.readFileSync(`${dir.home}/vault.enc`);
  const leftovers = [
    ".vault.enc.4242.a1b2c3.tmp",
    "vault.enc.bak.917.ff0e1d2c3b4a.tmp",
    ".vault.journal.77.9a8b.tmp",
  ];
  for (const name of leftovers) Deno.writeFileSync(`${dir.home}/${name}`, vaultBytes);
  const kept = ["notes.tmp", ".master.key.12.ab.tmp", "vault.enc.damaged"];
  for (const name of kept) Deno.writeFileSync(`${dir.home}/${name}`, new Uint8Array([1]));
  // The user deletes the secret: afterwards no copy of the file that held it remains.
  await vault.update((tx) => tx.delete("connection/default/openai/default"));
  const names = [...Deno.readDirSync(dir.home)].map((e) => e.name).sort();
  for (const name of leftovers) assert.ok(!names.includes(name), `${name} removed (${names})`);
  for (const name of kept) assert.ok(names.includes(name), `${name} kept`);
});

Deno.test("isVaultLeftover knows the temp names of vault writes and nothing else", () => {
  assert.ok(isVaultLeftover(".vault.enc.1.0.tmp"));
  assert.ok(isVaultLeftover("vault.enc.bak.123.deadbeef.tmp"));
  assert.ok(!isVaultLeftover("vault.enc"));
  assert.ok(!isVaultLeftover("vault.enc.bak"));
  assert.ok(!isVaultLeftover(".vault.enc.x.tmp"));
  assert.ok(!isVaultLeftover(".doctor-12.tmp"));
});
