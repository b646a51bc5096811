import assert from "node:assert/strict";
import { buildExport, type ExportEntry, shellQuote } from "../../src/auth/export.ts";
import { CredentialMissingError, ProviderNotFoundError } from "../../src/errors.ts";
import { Secret } from "../../src/model/secret.ts";
import {
  apiKeyProvider,
  connection,
  keyConnection,
  oauthProvider,
  store,
  testContext,
} from "./_context.ts";

Deno.test.sanitizer?.({ ops: true, resources: true });

const PROVIDERS = [
  apiKeyProvider("named", { env_var: "NAMED_LOGIN_KEY" }, {
    export: { env: { api_key: "NAMED_KEY" } },
  }),
  apiKeyProvider("envvar", { env_var: "ENVVAR_SECRET" }),
  apiKeyProvider("my-api.v2"),
  oauthProvider("hub", "http://127.0.0.1:9", {
    export: { env: { access_token: "HUB_TOKEN", refresh_token: "HUB_REFRESH" } },
  }),
  oauthProvider("plainhub", "http://127.0.0.1:9"),
];

function asMap(entries: ExportEntry[]): Record<string, string> {
  return Object.fromEntries(entries.map((e) => [e.name, e.value.reveal()]));
}

function oauthConnection(provider: string, name = "default") {
  return connection({
    provider,
    connectionName: name,
    authType: "oauth2",
    accessToken: new Secret(`${provider}-${name}-access-0001`),
    refreshToken: new Secret(`${provider}-${name}-refresh-0001`),
    tokenType: "Bearer",
    // Far from expiry: export never needs the (unreachable) token endpoint.
    expiresAt: "2027-01-01T00:00:00Z",
  });
}

Deno.test("export names come from export.env, then api_key.env_var, then <NAME>_API_KEY", async () => {
  await using t = await testContext({ providers: PROVIDERS });
  await store(
    t.ctx,
    keyConnection("named", "default", "named-key-000001"),
    keyConnection("envvar", "default", "envvar-key-00002"),
    keyConnection("my-api.v2", "default", "myapi-key-000003"),
  );
  const one = async (provider: string) =>
    asMap(await buildExport(t.ctx, provider, { format: "env" }));
  assert.deepEqual(await one("named"), { NAMED_KEY: "named-key-000001" });
  assert.deepEqual(await one("envvar"), { ENVVAR_SECRET: "envvar-key-00002" });
  assert.deepEqual(await one("my-api.v2"), { MY_API_V2_API_KEY: "myapi-key-000003" });
});

Deno.test("OAuth2 export gives the access token only; the refresh token never leaves", async () => {
  await using t = await testContext({ providers: PROVIDERS });
  await store(t.ctx, oauthConnection("hub"), oauthConnection("plainhub"));
  assert.deepEqual(asMap(await buildExport(t.ctx, "hub", { format: "env" })), {
    HUB_TOKEN: "hub-default-access-0001",
  });
  assert.deepEqual(asMap(await buildExport(t.ctx, "plainhub", { format: "json" })), {
    PLAINHUB_ACCESS_TOKEN: "plainhub-default-access-0001",
  });
  const all = await buildExport(t.ctx, undefined, { format: "shell" });
  assert.equal(all.length, 2);
  for (const entry of all) {
    assert.ok(!entry.value.reveal().includes("refresh"), entry.name);
    assert.ok(!entry.name.includes("REFRESH"), entry.name);
  }
});

Deno.test("export of one provider uses its default connection, or --connection", async () => {
  await using t = await testContext({ providers: PROVIDERS });
  await store(
    t.ctx,
    keyConnection("named", "work", "named-work-00001"),
    keyConnection("named", "ci", "named-ci-000002"),
  );
  assert.deepEqual(asMap(await buildExport(t.ctx, "named", { format: "env" })), {
    NAMED_KEY: "named-work-00001",
  });
  // An explicitly chosen connection still gets the plain name: it is the only one exported.
  assert.deepEqual(asMap(await buildExport(t.ctx, "named", { format: "env", connection: "ci" })), {
    NAMED_KEY: "named-ci-000002",
  });
});

Deno.test("exporting everything: the default keeps the plain name, others get _<CONNECTION>", async () => {
  await using t = await testContext({ providers: PROVIDERS });
  // "work" is saved first, so it is the default even though "default" exists too.
  await store(
    t.ctx,
    keyConnection("named", "work", "named-work-00001"),
    keyConnection("named", "default", "named-dflt-00002"),
    keyConnection("named", "ci-2", "named-ci2-000003"),
    keyConnection("envvar", "default", "envvar-key-00004"),
  );
  assert.deepEqual(asMap(await buildExport(t.ctx, undefined, { format: "env" })), {
    NAMED_KEY: "named-work-00001",
    NAMED_KEY_DEFAULT: "named-dflt-00002",
    NAMED_KEY_CI_2: "named-ci2-000003",
    ENVVAR_SECRET: "envvar-key-00004",
  });
});

Deno.test("exporting everything never reuses a name: _<PROVIDER>_<CONNECTION>, then _2", async () => {
  const shared = { export: { env: { api_key: "SHARED_KEY" } } };
  await using t = await testContext({
    providers: [apiKeyProvider("alpha", {}, shared), apiKeyProvider("beta", {}, shared)],
  });
  await store(
    t.ctx,
    keyConnection("alpha", "default", "alpha-default-01"),
    keyConnection("beta", "default", "beta-default-002"),
    keyConnection("alpha", "c-i", "alpha-c-dash-003"),
    keyConnection("alpha", "c_i", "alpha-c-under-04"),
    keyConnection("alpha", "c.i", "alpha-c-dot-0005"),
  );
  const entries = await buildExport(t.ctx, undefined, { format: "env" });
  const names = entries.map((e) => e.name);
  assert.equal(new Set(names).size, names.length, `duplicate names: ${names}`);
  assert.deepEqual(
    new Set(names),
    new Set([
      "SHARED_KEY", // alpha's default (alpha sorts first)
      "SHARED_KEY_DEFAULT", // beta's default: the plain name is taken
      "SHARED_KEY_C_I", // the first of alpha's c-i / c_i / c.i
      "SHARED_KEY_ALPHA_C_I", // the second: _C_I is taken
      "SHARED_KEY_2", // the third: both longer forms are taken
    ]),
  );
  const values = asMap(entries);
  assert.equal(values.SHARED_KEY, "alpha-default-01");
  assert.equal(values.SHARED_KEY_DEFAULT, "beta-default-002");
  // Every credential is exported exactly once, and entries say where they came from.
  assert.equal(new Set(Object.values(values)).size, 5);
  for (const entry of entries) {
    assert.ok(entry.value.reveal().startsWith(entry.provider), entry.name);
  }
});

Deno.test("exporting everything: defaults claim plain names before other connections", async () => {
  await using t = await testContext({
    providers: [
      apiKeyProvider("alpha", {}, { export: { env: { api_key: "TOK" } } }),
      apiKeyProvider("beta", {}, { export: { env: { api_key: "TOK_X" } } }),
    ],
  });
  // alpha/x would be named TOK_X, which is beta's own plain name: beta's default keeps it.
  await store(
    t.ctx,
    keyConnection("alpha", "default", "alpha-default-01"),
    keyConnection("alpha", "x", "alpha-x-00000002"),
    keyConnection("beta", "default", "beta-default-003"),
  );
  assert.deepEqual(asMap(await buildExport(t.ctx, undefined, { format: "env" })), {
    TOK: "alpha-default-01",
    TOK_X: "beta-default-003",
    TOK_ALPHA_X: "alpha-x-00000002",
  });
});

Deno.test("each exported variable is audited (name and format, never the value)", async () => {
  await using t = await testContext({ providers: PROVIDERS });
  await store(t.ctx, keyConnection("named", "default", "named-key-000001"));
  await buildExport(t.ctx, "named", { format: "shell" });
  const [entry] = await t.audit.tail(5);
  assert.equal(entry.event, "export");
  assert.equal(entry.provider, "named");
  assert.equal(entry.connection, "default");
  assert.equal(entry.status, "success");
  assert.equal(entry.format, "shell");
  assert.equal(entry.variable, "NAMED_KEY");
  assert.ok(!(await Deno.readTextFile(t.audit.path)).includes("named-key-000001"));
});

Deno.test("export of a provider without a connection is exit 5; unknown provider exit 3", async () => {
  await using t = await testContext({ providers: PROVIDERS });
  await assert.rejects(buildExport(t.ctx, "named", { format: "env" }), (error) => {
    assert.ok(error instanceof CredentialMissingError);
    assert.equal(error.exitCode, 5);
    assert.equal(error.hint, "authsome login named");
    return true;
  });
  await assert.rejects(
    buildExport(t.ctx, "no-such-provider", { format: "env" }),
    ProviderNotFoundError,
  );
});

Deno.test("shellQuote wraps in single quotes and escapes embedded ones", () => {
  assert.equal(shellQuote("abc"), "'abc'");
  assert.equal(shellQuote(""), "''");
  assert.equal(shellQuote("it's"), `'it'"'"'s'`);
  assert.equal(shellQuote("$HOME"), "'$HOME'");
});

Deno.test("shellQuote round-trips through bash eval byte for byte", async () => {
  const values = [
    "plain-token",
    "with spaces  and\ttabs",
    "it's a 'quoted' value",
    "$HOME ${PATH} $(id) `id`",
    "line one\nline two\n",
    'double "quotes" and \\backslashes\\',
    "!history !! and glob * ? [a]",
    "semi;colon && pipe | redirect > /dev/null",
    "",
    "unicode: clé 🔑",
  ];
  const dir = await Deno.makeTempDir({ prefix: "authsome-quote-" });
  try {
    for (const value of values) {
      const file = `${dir}/export.sh`;
      await Deno.writeTextFile(file, `export X=${shellQuote(value)}\n`);
      const out = await new Deno.Command("bash", {
        args: ["-c", `eval "$(cat "$1")"; printf %s "$X"`, "bash", file],
        stdout: "piped",
        stderr: "piped",
        env: { PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin", HOME: "/nonexistent-home" },
        clearEnv: true,
      }).output();
      assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
      assert.equal(new TextDecoder().decode(out.stdout), value, JSON.stringify(value));
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
