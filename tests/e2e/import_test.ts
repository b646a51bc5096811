/**
 * A home left by the Python authsome (same default `~/.authsome`): commands say what it is and
 * name `authsome import` instead of calling it damaged; `import` copies its connections,
 * clients, defaults and custom providers, reports skips with reasons, never changes the
 * predecessor's files, and is idempotent.
 */
import assert from "node:assert/strict";
import { PREDECESSOR_SECRETS, writePredecessorHome } from "../migrate/_predecessor_home.ts";
import { expectExit, expectMatch, readTree, stdoutJson, withHome } from "./_helpers.ts";

Deno.test("predecessor home: commands name authsome import, never a backup or corruption", async () => {
  await withHome(async (t) => {
    await writePredecessorHome(t.home);
    for (const args of [["list"], ["get", "github"], ["login", "openai"]]) {
      const result = await t.run(args, { stdin: "sk-unused000000000000000000000" });
      expectExit(result, 7, `authsome ${args.join(" ")}`);
      expectMatch(result.stderr, [/Python authsome/, "authsome import"], args.join(" "));
      assert.doesNotMatch(result.stderr, /backup|corrupt|restore/i, result.stderr);
    }
    const json = await t.run(["list", "--json"]);
    assert.equal(stdoutJson(json).error, "predecessor_home");
  });
});

Deno.test("import: copies connections, client, default and providers; leaves the files as they were", async () => {
  await withHome(async (t) => {
    await writePredecessorHome(t.home);
    const before = await readTree(t.home);
    const result = await t.ok(["import"]);
    expectMatch(result.stdout, [
      /connection +github \(default\)/,
      /connection +github \(work\)/,
      /connection +openai \(default\)/,
      /connection +acme \(default\)/,
      /OAuth client +github/,
      /default +github -> work/,
      "Custom providers used in place: acme",
      /okta.*no definition of provider "okta"/,
      /slack.*status is "revoked"/,
      /providers\/broken\.json: .*oauth/,
      "Imported 4 connections.",
    ], "import");
    for (const [path, bytes] of before) {
      if (path.endsWith("/audit.log")) continue; // appended to, never rewritten
      assert.deepEqual(await Deno.readFile(path), bytes, `${path} unchanged`);
    }
    const audit = await Deno.readTextFile(`${t.home}/audit.log`);
    assert.ok(audit.startsWith(new TextDecoder().decode(before.get(`${t.home}/audit.log`))));

    const github = await t.ok(["get", "github", "--field", "access_token"]);
    // The predecessor's default connection carries over.
    assert.equal(github.stdout.trim(), PREDECESSOR_SECRETS.githubWorkAccess);
    const openai = await t.ok(["get", "openai", "--field", "api_key"]);
    assert.equal(openai.stdout.trim(), PREDECESSOR_SECRETS.openaiKey);
    const scopes = await t.ok(["get", "github", "--connection", "default", "--field", "scopes"]);
    expectMatch(scopes.stdout, ["repo", "read:user"], "scopes");
    const expires = await t.ok([
      "get",
      "github",
      "--connection",
      "default",
      "--field",
      "expires_at",
    ]);
    assert.equal(expires.stdout.trim(), "2099-01-01T00:00:00.000Z");
    await t.ok(["get", "acme", "--field", "status"]);
  });
});

Deno.test("import: a second run imports nothing and says why", async () => {
  await withHome(async (t) => {
    await writePredecessorHome(t.home);
    await t.ok(["import"]);
    const vault = await Deno.readFile(`${t.home}/vault.enc`);
    const again = await t.ok(["import", "--json"]);
    const report = stdoutJson<{ imported: unknown[]; skipped: { item: string; reason: string }[] }>(
      again,
    );
    assert.deepEqual(report.imported, []);
    const reasons = new Map(report.skipped.map((s) => [s.item, s.reason]));
    assert.equal(reasons.get("connection default/github/default"), "already in the vault");
    assert.equal(reasons.get("client default/github"), "already in the vault");
    assert.deepEqual(await Deno.readFile(`${t.home}/vault.enc`), vault, "vault not rewritten");
  });
});

Deno.test("import: a v0.1 record with per-field envelopes is decrypted too", async () => {
  await withHome(async (t) => {
    await writePredecessorHome(t.home, { legacyRecord: true });
    await t.ok(["import"]);
    const resend = await t.ok(["get", "resend", "--field", "api_key"]);
    assert.equal(resend.stdout.trim(), PREDECESSOR_SECRETS.legacyResendKey);
  });
});

Deno.test("import: a key kept in the keyring comes from AUTHSOME_IMPORT_KEY", async () => {
  await withHome(async (t) => {
    const { key } = await writePredecessorHome(t.home, { keyFile: false });
    const missing = await t.run(["import"]);
    expectExit(missing, 7, "import without a key");
    expectMatch(missing.stderr, ["AUTHSOME_IMPORT_KEY", "secret-tool"], "keyring hint");
    const wrong = await t.run(["import"], {
      env: { AUTHSOME_IMPORT_KEY: new Uint8Array(32).toBase64() },
    });
    expectExit(wrong, 0, "import with the wrong key");
    expectMatch(wrong.stdout, [/store\.db: none of the available keys decrypts it/], "wrong key");
    const right = await t.ok(["import"], { env: { AUTHSOME_IMPORT_KEY: key.toBase64() } });
    expectMatch(right.stdout, ["Imported 4 connections."], "keyring import");
  });
});

Deno.test("import --from: another directory's providers are copied, its files left alone", async () => {
  await withHome(async (t) => {
    const old = `${t.dir}/old-home`;
    await writePredecessorHome(old);
    const before = await readTree(old);
    await t.ok(["import", "--from", old]);
    assert.ok((await Deno.stat(`${t.home}/providers/acme.json`)).isFile);
    await t.ok(["get", "acme", "--field", "status"]);
    for (const [path, bytes] of before) assert.deepEqual(await Deno.readFile(path), bytes, path);
    const nowhere = await t.run(["import", "--from", `${t.dir}/nope`]);
    expectExit(nowhere, 2, "import --from a missing directory");
  });
});

Deno.test("import: a home without predecessor files has nothing to import", async () => {
  await withHome(async (t) => {
    const result = await t.ok(["import"]);
    expectMatch(result.stdout, ["Nothing to import"], "empty home");
  });
});
