import assert from "node:assert/strict";
import { BUNDLED_PROVIDERS } from "../../src/providers/catalogue.ts";
import { validateProvider } from "../../src/providers/schema.ts";
import { envVarNames, resolveTemplate } from "../../src/providers/registry.ts";
import type { ProviderDefinition } from "../../src/model/provider.ts";

/** Spec §12, verbatim. */
const OAUTH2 = [
  "atlassian",
  "discord",
  "github",
  "gitlab",
  "google",
  "hubspot",
  "klaviyo-oauth",
  "linear",
  "microsoft",
  "notion",
  "postiz",
  "slack",
  "x",
];
const API_KEY = [
  "ahrefs",
  "apollo",
  "ashby",
  "beehiiv",
  "brevo",
  "buffer",
  "calendly",
  "clearbit",
  "dub",
  "g2",
  "hunter",
  "instantly",
  "intercom",
  "keywords-everywhere",
  "klaviyo",
  "lemlist",
  "livestorm",
  "mailchimp",
  "mention-me",
  "openai",
  "optimizely",
  "postmark",
  "resend",
  "rewardful",
  "savvycal",
  "semrush",
  "sendgrid",
  "tolt",
  "typeform",
  "wistia",
  "zapier",
];

const definitions: ProviderDefinition[] = BUNDLED_PROVIDERS.map((raw) =>
  validateProvider(raw, `bundled/${(raw as { name: string }).name}.json`)
);
const byName = new Map(definitions.map((d) => [d.name, d]));

Deno.test("catalogue: exactly the 44 providers of spec §12 (13 oauth2 + 31 api_key)", () => {
  assert.equal(definitions.length, 44);
  assert.equal(byName.size, 44, "names are unique");
  const oauth = definitions.filter((d) => d.auth_type === "oauth2").map((d) => d.name).sort();
  const keys = definitions.filter((d) => d.auth_type === "api_key").map((d) => d.name).sort();
  assert.deepEqual(oauth, [...OAUTH2].sort());
  assert.deepEqual(keys, [...API_KEY].sort());
});

Deno.test("catalogue: every JSON file in bundled/ is imported, under its own name", async () => {
  const dir = new URL("../../src/providers/bundled/", import.meta.url);
  const files: string[] = [];
  for await (const entry of Deno.readDir(dir)) files.push(entry.name);
  assert.deepEqual(files.sort(), [...OAUTH2, ...API_KEY].map((n) => `${n}.json`).sort());
});

Deno.test("catalogue: every endpoint and docs link is https", () => {
  for (const d of definitions) {
    const urls: (string | null)[] = [d.docs];
    if (d.oauth) {
      const o = d.oauth;
      urls.push(o.base_url);
      for (
        const u of [
          o.authorization_url,
          o.token_url,
          o.revocation_url,
          o.device_authorization_url,
          o.registration_endpoint,
        ]
      ) urls.push(u === null ? null : resolveTemplate(u, o.base_url));
    }
    for (const url of urls) {
      if (url === null) continue;
      assert.equal(new URL(url).protocol, "https:", `${d.name}: ${url}`);
    }
  }
});

Deno.test("catalogue: every provider has a host_url, env names and, for oauth2, client env", () => {
  for (const d of definitions) {
    assert.ok(d.host_url, `${d.name} has a host_url`);
    if (d.auth_type === "oauth2") {
      const base = d.name.toUpperCase().replace(/[^A-Z0-9]/g, "_");
      assert.equal(d.client.client_id_env, `${base}_CLIENT_ID`);
      assert.equal(d.client.client_secret_env, `${base}_CLIENT_SECRET`);
      assert.ok(d.export.env.access_token, `${d.name} exports an access token`);
    } else {
      assert.equal(d.api_key.env_var, d.export.env.api_key, `${d.name}: env_var = export name`);
      assert.ok(d.docs, `${d.name} links to where the key is made`);
    }
  }
});

Deno.test("catalogue: spec §12 details", () => {
  const get = (name: string) => byName.get(name)!;
  assert.equal(get("github").oauth?.base_url, "https://github.com");
  assert.equal(get("github").oauth?.token_url, "{base_url}/login/oauth/access_token");
  assert.equal(get("github").oauth?.supports_device_flow, true);
  assert.equal(get("google").host_url, "regex:.*googleapis.*");
  assert.ok(get("google").oauth?.device_authorization_url);
  assert.ok(get("google").oauth?.revocation_url);
  assert.equal(get("linear").flow, "dcr_pkce");
  assert.equal(get("linear").oauth?.supports_dcr, true);
  assert.equal(get("postiz").flow, "device_code");
  assert.equal(get("postiz").oauth?.device_token_request, "json");
  assert.deepEqual(get("postiz").export.env, { access_token: "POSTIZ_ACCESS_TOKEN" });
  assert.equal(get("microsoft").host_url, "graph.microsoft.com");
  assert.equal(get("x").host_url, "api.twitter.com");
  for (const name of ["discord", "gitlab", "google", "hubspot", "klaviyo-oauth", "slack", "x"]) {
    assert.ok(get(name).oauth?.revocation_url, `${name} has a revocation URL`);
  }
  const key = (name: string) => get(name).api_key!;
  assert.deepEqual([key("ashby").header_name, key("ashby").header_prefix], [
    "Authorization",
    "Basic",
  ]);
  assert.deepEqual([key("brevo").header_name, key("brevo").header_prefix], ["api-key", ""]);
  assert.equal(key("g2").header_prefix, "Token");
  assert.equal(key("g2").env_var, "G2_API_TOKEN");
  assert.equal(key("klaviyo").header_prefix, "Klaviyo-API-Key");
  assert.equal(key("livestorm").env_var, "LIVESTORM_API_TOKEN");
  assert.equal(key("mention-me").env_var, "MENTIONME_API_KEY");
  assert.deepEqual(
    [key("postmark").header_name, key("postmark").header_prefix],
    ["X-Postmark-Server-Token", ""],
  );
  assert.equal(key("openai").key_pattern, "^sk-[A-Za-z0-9_-]{20,}$");
  assert.equal(get("openai").host_url, "api.openai.com");
  assert.equal(get("mention-me").host_url, "mention-me.com");
  assert.equal(get("rewardful").host_url, "api.getrewardful.com");
  assert.equal(key("resend").header_prefix, "Bearer");
  assert.equal(envVarNames(get("resend")).api_key, "RESEND_API_KEY");
});

Deno.test("catalogue: key patterns accept real-looking keys and reject others", () => {
  const samples: Record<string, [string, string]> = {
    openai: ["sk-proj-abcdefghijklmnopqrstuvwxyz012345", "pk-abc"],
    sendgrid: ["SG.abcdEFGH1234_-xy.ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopq", "SG-abc"],
    resend: ["re_123456789_abcdefghijkl", "sk_123"],
    postmark: ["1b2c3d4e-aaaa-bbbb-cccc-0123456789ab", "not-a-uuid"],
    dub: ["dub_abcdefghijkl", "abc"],
    klaviyo: ["pk_0123456789abcdef", "sk_0123"],
  };
  for (const [name, [good, bad]] of Object.entries(samples)) {
    const pattern = new RegExp(byName.get(name)!.api_key!.key_pattern!);
    assert.ok(pattern.test(good), `${name} accepts ${good}`);
    assert.ok(!pattern.test(bad), `${name} rejects ${bad}`);
    assert.ok(byName.get(name)!.api_key!.key_pattern_hint, `${name} has a hint`);
  }
});
