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
  assert.equal(get("google").host_url, "regex:^(?:[a-z0-9.-]+\\.)?googleapis\\.com$");
  assert.ok(get("google").oauth?.device_authorization_url);
  assert.ok(get("google").oauth?.revocation_url);
  assert.equal(get("linear").flow, "dcr_pkce");
  assert.equal(get("linear").oauth?.supports_dcr, true);
  assert.equal(get("postiz").flow, "device_code");
  assert.equal(get("postiz").oauth?.device_token_request, "json");
  assert.deepEqual(get("postiz").export.env, { access_token: "POSTIZ_ACCESS_TOKEN" });
  assert.equal(get("microsoft").host_url, "graph.microsoft.com");
  for (const name of ["discord", "gitlab", "google", "hubspot", "klaviyo-oauth", "slack", "x"]) {
    assert.ok(get(name).oauth?.revocation_url, `${name} has a revocation URL`);
  }
  const key = (name: string) => get(name).api_key!;
  assert.deepEqual([key("brevo").header_name, key("brevo").header_prefix], ["api-key", ""]);
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

/**
 * Where the real services' documentation differs from the predecessor's catalogue (spec §12),
 * the documentation wins (issue #2: "the endpoints, hosts, header names, prefixes, env var names
 * and key patterns of the real services"). Each line names the page it was checked against.
 */
Deno.test("catalogue: the real services' documented authentication", () => {
  const get = (name: string) => byName.get(name)!;
  const key = (name: string) => get(name).api_key!;
  const header = (name: string) => [key(name).header_name, key(name).header_prefix];
  // docs.apollo.io/reference/authentication: "Pass the key in the x-api-key header".
  assert.deepEqual(header("apollo"), ["x-api-key", ""]);
  // hunter.io/api-documentation/v2#authentication: "in the X-API-KEY header".
  assert.deepEqual(header("hunter"), ["X-API-KEY", ""]);
  // developers.livestorm.co/docs/api-token-authentication: the raw token in Authorization.
  assert.deepEqual(header("livestorm"), ["Authorization", ""]);
  // developer.semrush.com/api/v4/get-started/authorization: "Authorization: Apikey <key>".
  assert.deepEqual(header("semrush"), ["Authorization", "Apikey"]);
  // data.g2.com/api/docs (v2 OpenAPI): bearer tokens on data.g2.com.
  assert.deepEqual(header("g2"), ["Authorization", "Bearer"]);
  assert.equal(get("g2").host_url, "data.g2.com");
  // HTTP Basic: ashby and rewardful take the key as the user name, lemlist as the password.
  assert.equal(key("ashby").basic_auth, "key_as_username");
  assert.equal(key("rewardful").basic_auth, "key_as_username");
  assert.equal(key("lemlist").basic_auth, "key_as_password");
  // postmarkapp.com/developer: the server token, read from POSTMARK_SERVER_TOKEN; tokens are
  // opaque (the documented test token POSTMARK_API_TEST is not a UUID).
  assert.equal(key("postmark").env_var, "POSTMARK_SERVER_TOKEN");
  assert.equal(key("postmark").key_pattern, null);
  // Hosts: Buffer's API is api.buffer.com; Clearbit and Mailchimp use one host per product or
  // data center; X moved to x.com (api.twitter.com still answers).
  assert.equal(get("buffer").host_url, "api.buffer.com");
  assert.equal(get("clearbit").host_url, "regex:^[a-z-]+\\.clearbit\\.com$");
  assert.equal(get("mailchimp").host_url, "regex:^[a-z]+[0-9]+\\.api\\.mailchimp\\.com$");
  assert.equal(get("x").host_url, "regex:^api\\.(x|twitter)\\.com$");
  assert.equal(get("x").oauth?.token_url, "https://api.x.com/2/oauth2/token");
  // docs.gitlab.com/api/oauth2: the device authorization grant (GitLab 17.1 and later).
  assert.equal(
    get("gitlab").oauth?.device_authorization_url,
    "https://gitlab.com/oauth/authorize_device",
  );
  // HubSpot's v1 OAuth API shuts down on 2027-02-16; its RFC 7009-style revoke endpoint.
  assert.equal(get("hubspot").oauth?.token_url, "https://api.hubapi.com/oauth/2026-03/token");
  assert.equal(
    get("hubspot").oauth?.revocation_url,
    "https://api.hubapi.com/oauth/2026-03/token/revoke",
  );
  // docs.postiz.com/public-api: "Authorization: pos_YOUR_OAUTH_TOKEN", no Bearer.
  assert.equal(get("postiz").oauth?.header_prefix, "");
  // Google issues refresh tokens only with access_type=offline; Atlassian needs its audience.
  assert.match(get("google").oauth!.authorization_url!, /[?&]access_type=offline(&|$)/);
  assert.match(get("atlassian").oauth!.authorization_url!, /[?&]audience=api\.atlassian\.com(&|$)/);
});

Deno.test("catalogue: key patterns accept real-looking keys and reject others", () => {
  const samples: Record<string, [string, string]> = {
    openai: ["sk-proj-abcdefghijklmnopqrstuvwxyz012345", "pk-abc"],
    sendgrid: ["SG.abcdEFGH1234_-xy.ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopq", "SG-abc"],
    resend: ["re_123456789_abcdefghijkl", "sk_123"],
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
