import assert from "node:assert/strict";
import { homePaths, homeProblem, resolveHome } from "../../src/model/home.ts";

Deno.test("homePaths lays out every file of docs/contract.md §3 under the home", () => {
  assert.deepEqual(homePaths("/h/.authsome"), {
    home: "/h/.authsome",
    vault: "/h/.authsome/vault.enc",
    vaultBackup: "/h/.authsome/vault.enc.bak",
    vaultLock: "/h/.authsome/vault.lock",
    vaultJournal: "/h/.authsome/vault.journal",
    masterKey: "/h/.authsome/master.key",
    config: "/h/.authsome/config.json",
    providers: "/h/.authsome/providers",
    auditLog: "/h/.authsome/audit.log",
    logs: "/h/.authsome/logs",
    debugLog: "/h/.authsome/logs/authsome.log",
    daemon: "/h/.authsome/daemon",
  });
});

Deno.test("homePaths ignores trailing slashes (no '//' in any path)", () => {
  for (const home of ["/tmp/as/", "/tmp/as//", "/tmp/as///"]) {
    const paths = homePaths(home);
    assert.equal(paths.home, "/tmp/as");
    assert.equal(paths.vault, "/tmp/as/vault.enc");
    assert.equal(paths.debugLog, "/tmp/as/logs/authsome.log");
    for (const path of Object.values(paths)) assert.ok(!path.includes("//"), path);
  }
});

Deno.test("resolveHome: AUTHSOME_HOME wins over the user's home", () => {
  const env = (name: string) => (name === "AUTHSOME_HOME" ? "/srv/agent-creds" : undefined);
  assert.equal(resolveHome(env, "/home/ana"), "/srv/agent-creds");
  assert.equal(homePaths(resolveHome(() => "/srv/x/", "/home/ana")).vault, "/srv/x/vault.enc");
});

Deno.test("resolveHome: without AUTHSOME_HOME it is ~/.authsome", () => {
  assert.equal(resolveHome(() => undefined, "/home/ana"), "/home/ana/.authsome");
  assert.equal(resolveHome(() => undefined, "/home/ana/"), "/home/ana/.authsome");
  assert.equal(resolveHome(() => undefined, "/home/ana//"), "/home/ana/.authsome");
});

Deno.test("resolveHome: an empty AUTHSOME_HOME counts as unset", () => {
  const env = (name: string) => (name === "AUTHSOME_HOME" ? "" : undefined);
  assert.equal(resolveHome(env, "/home/ana"), "/home/ana/.authsome");
});

Deno.test("homeProblem: a home of another user or writable by others is unsafe, with the fix", () => {
  const dir = { isDirectory: true, mode: 0o700, uid: 1000 };
  assert.equal(homeProblem("/h", dir, 1000), null);
  assert.equal(homeProblem("/h", { ...dir, mode: 0o755 }, 1000), null, "readable is allowed");
  const foreign = homeProblem("/h", { ...dir, uid: 0 }, 1000)!;
  assert.match(foreign.message, /belongs to another user \(uid 0, you are uid 1000\)/);
  assert.match(foreign.hint, /chown -R 1000 \/h && chmod 700 \/h/);
  for (const mode of [0o720, 0o702, 0o777, 0o1777]) {
    const loose = homeProblem("/h", { ...dir, mode: mode & 0o777 }, 1000)!;
    assert.match(loose.message, /can be written by other users/);
    assert.equal(loose.hint, "chmod 700 /h");
  }
  assert.match(homeProblem("/h", { ...dir, isDirectory: false }, 1000)!.message, /not a directory/);
  // Windows reports neither owner nor mode.
  assert.equal(homeProblem("/h", { isDirectory: true, mode: null, uid: null }, null), null);
});
