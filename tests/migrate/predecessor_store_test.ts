/**
 * Reading the predecessor's SQLite store: records still in the write-ahead log (the Python
 * tool is running) are seen, the store's files are never changed, and a wrong key is refused.
 */
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import {
  parseStoreKey,
  PredecessorKeyError,
  readPredecessorStore,
} from "../../src/migrate/predecessor_store.ts";
import { tempHome } from "../_fakes/platform.ts";
import { PREDECESSOR_SECRETS, writePredecessorHome } from "./_predecessor_home.ts";

Deno.test.sanitizer?.({ ops: true, resources: true });

async function tree(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for await (const entry of Deno.readDir(dir)) {
    out.set(entry.name, (await Deno.readFile(`${dir}/${entry.name}`)).toHex());
  }
  return out;
}

Deno.test("parseStoreKey splits the predecessor's record ids", () => {
  assert.deepEqual(parseStoreKey("profile:default:github:connection:work"), {
    profile: "default",
    provider: "github",
    kind: "connection",
    connectionName: "work",
  });
  assert.equal(parseStoreKey("profile:default:github:client")?.kind, "client");
  assert.equal(parseStoreKey("profile:default:github:connection"), null);
  assert.equal(parseStoreKey("something:else"), null);
});

Deno.test("readPredecessorStore sees records in the WAL and leaves every file as it was", async () => {
  await using temp = await tempHome();
  const { key } = await writePredecessorHome(temp.home);
  const store = `${temp.home}/profiles/default/store.db`;
  // The Python tool still running: its connection holds the WAL open with a fresh record.
  const live = new DatabaseSync(store);
  try {
    live.exec("PRAGMA journal_mode=WAL; PRAGMA wal_autocheckpoint=0");
    live.prepare("INSERT OR REPLACE INTO kv VALUES (?, ?)").run(
      "profile:default:extra:state",
      readValue(store, "profile:default:github:state")!,
    );
    const before = await tree(`${temp.home}/profiles/default`);
    assert.ok(before.has("store.db-wal"), "the WAL exists");
    const records = await readPredecessorStore(store, [key]);
    assert.ok(records.some((r) => r.key === "profile:default:extra:state"), "WAL record seen");
    const github = records.find((r) => r.key === "profile:default:github:connection:default");
    assert.equal(github?.data?.access_token, PREDECESSOR_SECRETS.githubAccess);
    assert.deepEqual(await tree(`${temp.home}/profiles/default`), before, "nothing changed");
  } finally {
    live.close();
  }
});

Deno.test("readPredecessorStore refuses a key that opens nothing", async () => {
  await using temp = await tempHome();
  await writePredecessorHome(temp.home);
  await assert.rejects(
    () => readPredecessorStore(`${temp.home}/profiles/default/store.db`, [new Uint8Array(32)]),
    PredecessorKeyError,
  );
});

function readValue(store: string, key: string): string | null {
  const db = new DatabaseSync(store, { readOnly: true });
  try {
    const row = db.prepare("SELECT value FROM kv WHERE key = ?").get(key) as
      | { value: string }
      | undefined;
    return row?.value ?? null;
  } finally {
    db.close();
  }
}
