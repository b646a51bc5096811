/**
 * Builds a home as the Python authsome v0.2 leaves it (spec §3.2, §4), for the migration
 * tests: `version`, `config.json`, a JSON `master.key`, `profiles/<p>/{store.db, lock,
 * metadata.json}` with the SQLite `kv` table in WAL mode and every record sealed as
 * `base64(nonce) + "." + base64(ciphertext ‖ tag)` (AES-256-GCM, no AAD), a predecessor-style
 * custom provider (no `schema_version`, `{base_url}` in `host_url`) and an audit line.
 * Optionally a v0.1 record with per-field envelopes.
 */
import { DatabaseSync } from "node:sqlite";

/** Secrets planted in the fixture, to find them after import. */
export const PREDECESSOR_SECRETS = {
  githubAccess: "gho_PYTHONaccess0000000000000000000001",
  githubRefresh: "ghr_PYTHONrefresh000000000000000000001",
  githubWorkAccess: "gho_PYTHONworkaccess00000000000000002",
  githubClientSecret: "PYTHONclientsecret0000000000000000001",
  openaiKey: "sk-PYTHONopenaikey000000000000000000001",
  acmeAccess: "acme_PYTHONaccess0000000000000000001",
  legacyResendKey: "re_PYTHONlegacy00000000000000000001",
};

/** What was planted, for assertions. */
export interface PredecessorFixture {
  home: string;
  key: Uint8Array;
}

/** AES-GCM with a fresh nonce, as the predecessor did: the nonce and ciphertext || tag. */
async function encrypt(key: CryptoKey, text: string) {
  const nonce = crypto.getRandomValues(new Uint8Array(12));
  const sealed = new Uint8Array(
    await crypto.subtle.encrypt(
      { name: "AES-GCM", iv: nonce },
      key,
      new TextEncoder().encode(text),
    ),
  );
  return { nonce, sealed };
}

async function seal(key: CryptoKey, text: string): Promise<string> {
  const { nonce, sealed } = await encrypt(key, text);
  return `${nonce.toBase64()}.${sealed.toBase64()}`;
}

async function envelope(key: CryptoKey, text: string): Promise<Record<string, unknown>> {
  const { nonce, sealed } = await encrypt(key, text);
  return {
    enc: 1,
    alg: "AES-256-GCM",
    kid: "local",
    nonce: nonce.toBase64(),
    ciphertext: sealed.subarray(0, sealed.length - 16).toBase64(),
    tag: sealed.subarray(sealed.length - 16).toBase64(),
  };
}

/** Writes the predecessor's files into `home` (created if needed). */
export async function writePredecessorHome(
  home: string,
  options: { keyFile?: boolean; legacyRecord?: boolean; key?: Uint8Array } = {},
): Promise<PredecessorFixture> {
  const raw = options.key ?? crypto.getRandomValues(new Uint8Array(32));
  const key = await crypto.subtle.importKey("raw", new Uint8Array(raw), "AES-GCM", false, [
    "encrypt",
  ]);
  await Deno.mkdir(`${home}/profiles/default`, { recursive: true, mode: 0o700 });
  await Deno.mkdir(`${home}/providers`, { recursive: true });
  await Deno.mkdir(`${home}/logs`, { recursive: true });
  await Deno.chmod(home, 0o700);
  await Deno.writeTextFile(`${home}/version`, "2");
  await Deno.writeTextFile(
    `${home}/config.json`,
    JSON.stringify({
      spec_version: 1,
      default_profile: "default",
      encryption: { mode: "local_key" },
    }),
  );
  if (options.keyFile !== false) {
    await Deno.writeTextFile(
      `${home}/master.key`,
      JSON.stringify(
        {
          version: 1,
          key: raw.toBase64(),
          algorithm: "AES-256-GCM",
          note: "Local master key for authsome. Protect this file.",
        },
        null,
        2,
      ),
      { mode: 0o600 },
    );
    await Deno.chmod(`${home}/master.key`, 0o600);
  }
  await Deno.writeTextFile(
    `${home}/profiles/default/metadata.json`,
    JSON.stringify({
      name: "default",
      created_at: "2026-01-05T10:00:00.123456+00:00",
      updated_at: "2026-01-05T10:00:00.123456+00:00",
      description: "Default profile",
    }),
  );
  await Deno.writeTextFile(`${home}/profiles/default/lock`, "");
  await Deno.writeTextFile(
    `${home}/providers/acme.json`,
    JSON.stringify({
      name: "acme",
      display_name: "Acme Cloud",
      auth_type: "oauth2",
      flow: "pkce",
      oauth: {
        base_url: "https://acme.example.com",
        authorization_url: "{base_url}/oauth/authorize",
        token_url: "{base_url}/oauth/token",
        scopes: ["api"],
      },
      host_url: "{base_url}/api/v4",
    }),
  );
  await Deno.writeTextFile(
    `${home}/providers/broken.json`,
    JSON.stringify({ name: "broken", display_name: "Broken", auth_type: "oauth2", flow: "pkce" }),
  );
  await Deno.writeTextFile(
    `${home}/audit.log`,
    JSON.stringify({
      timestamp: "2026-01-05T10:00:00+00:00",
      event: "login",
      provider: "github",
      connection: "default",
      flow: "oauth2",
      status: "success",
    }) + "\n",
  );

  const far = "2099-01-01T00:00:00.000000+00:00";
  const connection = (provider: string, name: string, fields: Record<string, unknown>) => ({
    schema_version: 2,
    provider,
    profile: "default",
    connection_name: name,
    status: "connected",
    scopes: [],
    token_type: "Bearer",
    obtained_at: "2026-01-05T10:00:00.123456+00:00",
    account: { id: null, label: null },
    metadata: {},
    ...fields,
  });
  const records: Record<string, Record<string, unknown>> = {
    "profile:default:github:connection:default": connection("github", "default", {
      auth_type: "oauth2",
      access_token: PREDECESSOR_SECRETS.githubAccess,
      refresh_token: PREDECESSOR_SECRETS.githubRefresh,
      scopes: ["repo", "read:user"],
      expires_at: far,
      base_url: "https://github.com",
      host_url: "api.github.com",
    }),
    "profile:default:github:connection:work": connection("github", "work", {
      auth_type: "oauth2",
      access_token: PREDECESSOR_SECRETS.githubWorkAccess,
      expires_at: far,
      host_url: "api.github.com",
    }),
    "profile:default:github:client": {
      client_id: "Iv1.pythonclient",
      client_secret: PREDECESSOR_SECRETS.githubClientSecret,
      base_url: "https://github.com",
      scopes: ["repo", "read:user"],
    },
    "profile:default:github:metadata": {
      default_connection: "work",
      connection_names: ["default", "work"],
    },
    "profile:default:github:state": { last_refresh_at: null, last_refresh_error: null },
    "profile:default:openai:connection:default": connection("openai", "default", {
      auth_type: "api_key",
      api_key: PREDECESSOR_SECRETS.openaiKey,
      host_url: "api.openai.com",
    }),
    "profile:default:acme:connection:default": connection("acme", "default", {
      auth_type: "oauth2",
      access_token: PREDECESSOR_SECRETS.acmeAccess,
      base_url: "https://acme.example.com",
      host_url: "https://acme.example.com/api/v4",
    }),
    "profile:default:okta:connection:default": connection("okta", "default", {
      auth_type: "oauth2",
      access_token: "okta-token-never-imported",
    }),
    "profile:default:slack:connection:default": connection("slack", "default", {
      auth_type: "oauth2",
      status: "revoked",
    }),
  };
  const db = new DatabaseSync(`${home}/profiles/default/store.db`);
  try {
    db.exec("PRAGMA journal_mode=WAL");
    db.exec("CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL)");
    const insert = db.prepare("INSERT OR REPLACE INTO kv (key, value) VALUES (?, ?)");
    for (const [id, record] of Object.entries(records)) {
      insert.run(id, await seal(key, JSON.stringify(record)));
    }
    if (options.legacyRecord) {
      const legacy = {
        schema_version: 1,
        provider: "resend",
        profile: "default",
        connection_name: "default",
        auth_type: "api_key",
        status: "connected",
        api_key: await envelope(key, PREDECESSOR_SECRETS.legacyResendKey),
      };
      insert.run("profile:default:resend:connection:default", JSON.stringify(legacy));
    }
  } finally {
    db.close();
  }
  return { home, key: raw };
}
