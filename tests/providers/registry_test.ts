import assert from "node:assert/strict";
import { ProviderNotFoundError, UsageError } from "../../src/errors.ts";
import { denoPlatform } from "../../src/platform/deno.ts";
import { envVarNames, ProviderRegistry, resolveTemplate } from "../../src/providers/registry.ts";

const platform = denoPlatform();

function customGithub(displayName = "GitHub Enterprise") {
  return {
    schema_version: 1,
    name: "github",
    display_name: displayName,
    auth_type: "oauth2",
    flow: "pkce",
    oauth: {
      base_url: "https://ghe.example.test",
      authorization_url: "{base_url}/login/oauth/authorize",
      token_url: "{base_url}/login/oauth/access_token",
    },
    host_url: "ghe.example.test",
  };
}

const acme = {
  schema_version: 1,
  name: "acme",
  display_name: "Acme",
  auth_type: "api_key",
  flow: "api_key",
  api_key: { header_name: "X-Acme-Key", header_prefix: "" },
  host_url: "api.acme.test",
  x_extra: true,
};

async function withHome(fn: (home: string) => Promise<void>): Promise<void> {
  const home = await Deno.makeTempDir({ prefix: "authsome-providers-" });
  try {
    await fn(home);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
}

async function writeCustom(home: string, file: string, content: unknown): Promise<void> {
  await Deno.mkdir(`${home}/providers`, { recursive: true });
  const text = typeof content === "string" ? content : JSON.stringify(content);
  await Deno.writeTextFile(`${home}/providers/${file}`, text);
}

Deno.test("registry: a fresh home has the 44 bundled providers, sorted, no warnings", async () => {
  await withHome(async (home) => {
    const registry = await ProviderRegistry.load(platform, home);
    const list = registry.list();
    assert.equal(list.length, 44);
    assert.deepEqual(list.map((e) => e.definition.name), list.map((e) => e.definition.name).sort());
    assert.ok(list.every((e) => e.source === "bundled" && !e.overridesBundled));
    assert.deepEqual(registry.warnings, []);
    assert.ok(
      registry.has("github") && registry.isBundled("github") && !registry.isCustom("github"),
    );
    assert.equal(registry.get("openai").display_name, "OpenAI");
  });
});

Deno.test("registry: get of an unknown name throws with a did-you-mean hint", () => {
  const registry = ProviderRegistry.bundledOnly();
  assert.throws(() => registry.get("githb"), (error: unknown) => {
    assert.ok(error instanceof ProviderNotFoundError);
    assert.equal(error.message, "Provider 'githb' not found");
    assert.equal(error.hint, 'Did you mean "github"? Run: authsome list');
    assert.equal(error.exitCode, 3);
    return true;
  });
  assert.throws(() => registry.get("salesforce"), (error: unknown) => {
    assert.ok(error instanceof ProviderNotFoundError);
    assert.equal(error.hint, "Run: authsome list");
    return true;
  });
  assert.equal(registry.has("githb"), false);
});

Deno.test("registry: a custom definition overrides the bundled one of the same name", async () => {
  await withHome(async (home) => {
    await writeCustom(home, "github.json", customGithub());
    await writeCustom(home, "acme.json", acme);
    const registry = await ProviderRegistry.load(platform, home);
    assert.deepEqual(registry.warnings, []);
    assert.equal(registry.list().length, 45);
    assert.equal(registry.get("github").display_name, "GitHub Enterprise");
    assert.deepEqual(registry.entry("github"), {
      definition: registry.get("github"),
      source: "custom",
      overridesBundled: true,
    });
    assert.equal(registry.isBundled("github"), true);
    assert.equal(registry.isCustom("github"), true);
    assert.equal(registry.entry("acme")?.overridesBundled, false);
    assert.equal(registry.isBundled("acme"), false);
    assert.equal(registry.get("acme").raw.x_extra, true);
  });
});

Deno.test("registry: invalid custom files are skipped with warnings, never thrown", async () => {
  await withHome(async (home) => {
    await writeCustom(home, "broken.json", "{ not json");
    await writeCustom(home, "insecure.json", {
      ...acme,
      name: "insecure",
      auth_type: "oauth2",
      flow: "pkce",
      api_key: undefined,
      oauth: { authorization_url: "https://a.test/auth", token_url: "http://a.test/token" },
    });
    await writeCustom(home, "renamed.json", acme);
    await writeCustom(home, "gitlab.json", {
      ...customGithub(),
      name: "gitlab",
      schema_version: 3,
    });
    await writeCustom(home, "notes.txt", "ignored");
    await writeCustom(home, ".acme.json.123.tmp", "ignored");
    const registry = await ProviderRegistry.load(platform, home);
    const byFile = new Map(registry.warnings.map((w) => [w.file.split("/").pop(), w.message]));
    assert.equal(registry.warnings.length, 4);
    assert.match(byFile.get("broken.json")!, /^providers\/broken\.json: not valid JSON/);
    assert.equal(
      byFile.get("insecure.json"),
      "providers/insecure.json: oauth.token_url: must be an https URL " +
        "(http is allowed only for 127.0.0.1, localhost and [::1])",
    );
    assert.match(byFile.get("renamed.json")!, /name: "acme" does not match the file name/);
    assert.match(byFile.get("gitlab.json")!, /schema_version: unsupported value 3/);
    assert.ok(registry.warnings.every((w) => w.file.startsWith(`${home}/providers/`)));
    assert.equal(registry.has("insecure"), false);
    assert.equal(registry.has("acme"), false);
    assert.equal(registry.entry("gitlab")?.source, "bundled", "the bundled one stays active");
  });
});

Deno.test("registry: register writes 0600 in a 0700 dir and honours --force", async () => {
  await withHome(async (home) => {
    const registry = await ProviderRegistry.load(platform, home);
    const definition = await registry.register(platform, home, acme);
    assert.equal(definition.name, "acme");
    assert.equal(registry.get("acme").display_name, "Acme");
    const path = `${home}/providers/acme.json`;
    assert.deepEqual(JSON.parse(await Deno.readTextFile(path)), acme, "stored as given");
    if (Deno.build.os !== "windows") {
      assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
      assert.equal((await Deno.stat(`${home}/providers`)).mode! & 0o777, 0o700);
    }

    const again = { ...acme, display_name: "Acme 2" };
    await assert.rejects(() => registry.register(platform, home, again), (error: unknown) => {
      assert.ok(error instanceof UsageError);
      assert.match(error.message, /Provider 'acme' is already registered.*--force/);
      return true;
    });
    await registry.register(platform, home, again, { force: true });
    assert.equal(registry.get("acme").display_name, "Acme 2");

    await assert.rejects(
      () => registry.register(platform, home, customGithub()),
      /Provider 'github' is bundled with authsome\. Pass --force/,
    );
    assert.equal(registry.isCustom("github"), false);
    await registry.register(platform, home, customGithub(), { force: true });
    assert.equal(registry.entry("github")?.overridesBundled, true);

    const reloaded = await ProviderRegistry.load(platform, home);
    assert.equal(reloaded.get("acme").display_name, "Acme 2");
    assert.equal(reloaded.get("github").display_name, "GitHub Enterprise");
    assert.deepEqual(reloaded.warnings, []);
  });
});

Deno.test("registry: register validates and names the origin", async () => {
  await withHome(async (home) => {
    const registry = await ProviderRegistry.load(platform, home);
    await assert.rejects(
      () => registry.register(platform, home, { ...acme, name: "../x" }, { origin: "evil.json" }),
      /^ProviderDefinitionError: evil\.json: name: "\.\.\/x" is not a valid provider name/,
    );
    assert.deepEqual([...Deno.readDirSync(home)], [], "nothing written");
  });
});

Deno.test("registry: removeCustom deletes the file and restores the bundled definition", async () => {
  await withHome(async (home) => {
    const registry = await ProviderRegistry.load(platform, home);
    await registry.register(platform, home, acme);
    await registry.register(platform, home, customGithub(), { force: true });

    assert.equal(await registry.removeCustom(platform, home, "acme"), true);
    assert.equal(registry.has("acme"), false);
    assert.equal(await registry.removeCustom(platform, home, "acme"), false);

    assert.equal(await registry.removeCustom(platform, home, "github"), true);
    assert.equal(registry.entry("github")?.source, "bundled");
    assert.equal(registry.get("github").display_name, "GitHub");
    assert.equal(await registry.removeCustom(platform, home, "openai"), false, "bundled only");
    assert.equal(await registry.removeCustom(platform, home, "../providers"), false);

    assert.deepEqual([...Deno.readDirSync(`${home}/providers`)], []);
    assert.equal((await ProviderRegistry.load(platform, home)).list().length, 44);
  });
});

Deno.test("resolveTemplate: substitutes base_url without a trailing slash", () => {
  assert.equal(
    resolveTemplate("{base_url}/login/oauth/authorize", "https://ghe.test/"),
    "https://ghe.test/login/oauth/authorize",
  );
  assert.equal(resolveTemplate("https://a.test/x", null), "https://a.test/x");
  assert.throws(() => resolveTemplate("{base_url}/token", null), /needs a base URL/);
});

Deno.test("envVarNames: export.env first, then env_var, then <NAME>_* fallbacks", () => {
  const registry = ProviderRegistry.bundledOnly();
  assert.deepEqual(envVarNames(registry.get("github")), {
    access_token: "GITHUB_ACCESS_TOKEN",
    refresh_token: "GITHUB_REFRESH_TOKEN",
    api_key: "GITHUB_API_KEY",
  });
  assert.equal(envVarNames(registry.get("g2")).api_key, "G2_API_TOKEN");
  assert.equal(envVarNames(registry.get("postiz")).refresh_token, "POSTIZ_REFRESH_TOKEN");
  assert.equal(
    envVarNames(registry.get("keywords-everywhere")).api_key,
    "KEYWORDS_EVERYWHERE_API_KEY",
  );
});

Deno.test("registry: a provider file owned by another user is skipped with a warning naming it", async () => {
  await withHome(async (home) => {
    await writeCustom(home, "acme.json", acme);
    await writeCustom(home, "github.json", customGithub());
    // We pose as another user: every file in the temp home belongs to someone else then.
    const owner = Deno.statSync(`${home}/providers/acme.json`).uid!;
    const other = { ...platform, userId: () => owner + 1 };
    const registry = await ProviderRegistry.load(other, home);
    assert.equal(registry.has("acme"), false);
    assert.ok(registry.isBundled("github"), "the bundled github is not overridden");
    assert.equal(registry.warnings.length, 2);
    const acmeWarning = registry.warnings.find((w) => w.file.endsWith("acme.json"))!;
    assert.match(acmeWarning.message, /owned by another user \(uid \d+, you are uid \d+\)/);
    assert.match(acmeWarning.message, /sudo chown \d+ .*acme\.json/);
    // As the owner, the same files load.
    const mine = await ProviderRegistry.load({ ...platform, userId: () => owner }, home);
    assert.ok(mine.has("acme"));
    assert.deepEqual(mine.warnings, []);
  });
});
