import assert from "node:assert/strict";
import { registerProvider, removeCustomProvider } from "../../src/auth/providers.ts";
import { ProviderDefinitionError, UsageError } from "../../src/errors.ts";
import { apiKeyProvider, testContext } from "./_context.ts";

Deno.test.sanitizer?.({ ops: true, resources: true });

type Context = Awaited<ReturnType<typeof testContext>>;

async function auditEntries(t: Context): Promise<Record<string, unknown>[]> {
  try {
    const text = await Deno.readTextFile(`${t.home}/audit.log`);
    return text.split("\n").filter(Boolean).map((line) => JSON.parse(line));
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
}

async function writeInput(t: Context, name: string, content: string): Promise<string> {
  const dir = `${t.home}-input`;
  await Deno.mkdir(dir, { recursive: true });
  const path = `${dir}/${name}`;
  await Deno.writeTextFile(path, content);
  return path;
}

Deno.test("registering a missing file is a usage error (exit 2), not audited", async () => {
  await using t = await testContext();
  const missing = `${t.home}-input/nope.json`;
  await assert.rejects(registerProvider(t.ctx, missing, { force: false }), (error: unknown) => {
    assert.ok(error instanceof UsageError);
    assert.equal(error.exitCode, 2);
    assert.equal(error.message, `file not found: ${missing}`);
    return true;
  });
  assert.deepEqual(await auditEntries(t), []);
});

Deno.test("registering invalid JSON fails with exit 2 naming the file", async () => {
  await using t = await testContext();
  const path = await writeInput(t, "broken.json", '{"name": "acme",');
  await assert.rejects(registerProvider(t.ctx, path, { force: false }), (error: unknown) => {
    assert.ok(error instanceof ProviderDefinitionError);
    assert.equal(error.exitCode, 2);
    assert.equal(error.code, "invalid_provider");
    assert.ok(error.message.startsWith(`${path}: not valid JSON`), error.message);
    return true;
  });
  await assert.rejects(Deno.stat(`${t.home}/providers/acme.json`), Deno.errors.NotFound);
});

Deno.test("a valid definition is installed and the register is audited", async () => {
  await using t = await testContext();
  const raw = apiKeyProvider("acme", { header_name: "X-Api-Key" });
  const path = await writeInput(t, "acme.json", JSON.stringify(raw));
  const result = await registerProvider(t.ctx, path, { force: false });
  assert.deepEqual(result, { name: "acme", overridesBundled: false, warnings: [] });
  const installed = `${t.home}/providers/acme.json`;
  assert.deepEqual(JSON.parse(await Deno.readTextFile(installed)), raw);
  assert.equal((await Deno.stat(installed)).mode! & 0o777, 0o600);
  assert.equal((await t.ctx.providers()).get("acme").display_name, "Acme");
  const [entry, ...rest] = await auditEntries(t);
  assert.deepEqual(rest, []);
  assert.equal(entry.event, "register");
  assert.equal(entry.provider, "acme");
  assert.equal(entry.status, "success");
  assert.equal(entry.overrides_bundled, false);

  // Registering it again needs --force.
  await assert.rejects(registerProvider(t.ctx, path, { force: false }), (error: unknown) => {
    assert.ok(error instanceof UsageError);
    assert.match(error.message, /already registered.*--force/);
    return true;
  });
  assert.deepEqual(
    (await auditEntries(t)).map((e) => [e.event, e.provider, e.status]),
    [["register", "acme", "success"], ["register", "acme", "failure"]],
  );
  assert.deepEqual(await registerProvider(t.ctx, path, { force: true }), {
    name: "acme",
    overridesBundled: false,
    warnings: [],
  });
});

Deno.test("an invalid definition is refused and the failure audited", async () => {
  await using t = await testContext();
  const path = await writeInput(
    t,
    "bad.json",
    JSON.stringify({ name: "acme", auth_type: "magic" }),
  );
  await assert.rejects(registerProvider(t.ctx, path, { force: false }), ProviderDefinitionError);
  const entries = await auditEntries(t);
  assert.equal(entries.length, 1);
  assert.equal(entries[0].event, "register");
  assert.equal(entries[0].provider, "acme");
  assert.equal(entries[0].status, "failure");
  assert.equal(typeof entries[0].error, "string");
});

Deno.test("an unknown field is refused with did-you-mean, audited, and nothing installed", async () => {
  await using t = await testContext();
  const raw = apiKeyProvider("acme", { header_name: "X-Api-Key", env_vra: "ACME_KEY" });
  const path = await writeInput(t, "acme.json", JSON.stringify(raw));
  await assert.rejects(registerProvider(t.ctx, path, { force: false }), (error: unknown) => {
    assert.ok(error instanceof ProviderDefinitionError);
    assert.equal(
      error.message,
      `${path}: api_key.env_vra: unknown field; did you mean "api_key.env_var"?`,
    );
    return true;
  });
  await assert.rejects(Deno.stat(`${t.home}/providers/acme.json`), Deno.errors.NotFound);
  assert.deepEqual(
    (await auditEntries(t)).map((e) => [e.event, e.provider, e.status]),
    [["register", "acme", "failure"]],
  );
});

Deno.test("a predecessor field name is accepted with a warning naming the field to use", async () => {
  await using t = await testContext();
  const raw = apiKeyProvider("acme", {}, { docs_url: "https://acme.test/docs" });
  const path = await writeInput(t, "acme.json", JSON.stringify(raw));
  const result = await registerProvider(t.ctx, path, { force: false });
  assert.deepEqual(result.warnings, [
    `${path}: docs_url is the predecessor's name for docs; it is ignored here, rename it`,
  ]);
});

Deno.test("overriding a bundled provider needs --force and is reported", async () => {
  await using t = await testContext();
  const path = await writeInput(t, "github.json", JSON.stringify(apiKeyProvider("github")));
  await assert.rejects(registerProvider(t.ctx, path, { force: false }), (error: unknown) => {
    assert.ok(error instanceof UsageError);
    assert.match(error.message, /bundled/);
    return true;
  });
  assert.deepEqual(await registerProvider(t.ctx, path, { force: true }), {
    name: "github",
    overridesBundled: true,
    warnings: [],
  });
  assert.equal((await auditEntries(t)).at(-1)?.overrides_bundled, true);
  assert.equal((await t.ctx.providers()).get("github").auth_type, "api_key");

  assert.deepEqual(await removeCustomProvider(t.ctx, "github"), {
    removedCustom: true,
    bundledRemains: true,
  });
  await assert.rejects(Deno.stat(`${t.home}/providers/github.json`), Deno.errors.NotFound);
  assert.equal((await t.ctx.providers()).get("github").auth_type, "oauth2");
});

Deno.test("removeCustomProvider deletes a custom definition once", async () => {
  await using t = await testContext();
  const path = await writeInput(t, "acme.json", JSON.stringify(apiKeyProvider("acme")));
  await registerProvider(t.ctx, path, { force: false });
  assert.deepEqual(await removeCustomProvider(t.ctx, "acme"), {
    removedCustom: true,
    bundledRemains: false,
  });
  assert.equal((await t.ctx.providers()).has("acme"), false);
  assert.deepEqual(await removeCustomProvider(t.ctx, "acme"), {
    removedCustom: false,
    bundledRemains: false,
  });
  // An unsafe name is never turned into a path.
  assert.deepEqual(await removeCustomProvider(t.ctx, "../acme"), {
    removedCustom: false,
    bundledRemains: false,
  });
});
