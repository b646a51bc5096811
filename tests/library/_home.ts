/**
 * A temp authsome home for the library tests, in the state the CLI leaves after logins: API-key
 * and OAuth2 connections sealed with the home's own `master.key` (or `AUTHSOME_MASTER_KEY` if
 * the test process has one, exactly as the library will read it), plus custom provider files.
 * It is written with authsome's own vault code; the tests then use only `mod.ts`.
 */
import { saveClient } from "../../src/auth/clients.ts";
import { saveConnection } from "../../src/auth/connections.ts";
import { homePaths } from "../../src/model/home.ts";
import { Secret } from "../../src/model/secret.ts";
import { rfc3339 } from "../../src/model/timestamp.ts";
import { denoPlatform } from "../../src/platform/deno.ts";
import { Vault } from "../../src/vault/vault.ts";
import { connection, oauthProvider, writeCustomProvider } from "../auth/_context.ts";
import { tempHome } from "../_fakes/platform.ts";

/** What a test may plant. */
export interface LibraryHome extends AsyncDisposable {
  home: string;
  /** Stores an API key for a (bundled or custom) provider. */
  apiKey(provider: string, key: string, connection?: string): Promise<void>;
  /**
   * Installs `provider` as a custom OAuth2 provider whose endpoints live under `serverUrl`,
   * with a public client `client-1`, and stores a connection whose access token expires in
   * `expiresInMs` (negative: already expired).
   */
  oauth(provider: string, serverUrl: string, tokens: {
    accessToken: string;
    refreshToken: string;
    expiresInMs: number;
  }): Promise<void>;
  /** The lines of `<home>/audit.log`, parsed. */
  auditEntries(): Promise<Record<string, unknown>[]>;
}

/** A fresh home; dispose it to remove it. */
export async function libraryHome(): Promise<LibraryHome> {
  const temp = await tempHome();
  const home = temp.home;
  const vault = new Vault(denoPlatform(), homePaths(home));
  return {
    home,
    async apiKey(provider, key, name = "default") {
      await vault.update((tx) =>
        saveConnection(
          tx,
          connection({
            provider,
            connectionName: name,
            apiKey: new Secret(key),
            obtainedAt: rfc3339(Date.now()),
          }),
        )
      );
    },
    async oauth(provider, serverUrl, tokens) {
      await vault.ensureHome();
      await writeCustomProvider(home, oauthProvider(provider, serverUrl));
      await vault.update(async (tx) => {
        await saveConnection(
          tx,
          connection({
            provider,
            authType: "oauth2",
            accessToken: new Secret(tokens.accessToken),
            refreshToken: new Secret(tokens.refreshToken),
            tokenType: "Bearer",
            scopes: ["read"],
            // Obtained an hour ago: a token with a normal lifetime, not one so short-lived that
            // the half-lifetime refresh rule applies.
            obtainedAt: rfc3339(Date.now() - 3_600_000),
            expiresAt: rfc3339(Date.now() + tokens.expiresInMs),
          }),
        );
        await saveClient(tx, "default", provider, {
          clientId: "client-1",
          clientSecret: null,
          source: "user_supplied",
          registration: null,
          extra: {},
        });
      });
    },
    async auditEntries() {
      const text = await Deno.readTextFile(`${home}/audit.log`).catch(() => "");
      return text.split("\n").filter(Boolean).map((line) => JSON.parse(line));
    },
    [Symbol.asyncDispose]: temp[Symbol.asyncDispose],
  };
}

/** A library logger that keeps every line. */
export function recordingLogger(): {
  lines: { level: string; message: string }[];
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
} {
  const lines: { level: string; message: string }[] = [];
  const at = (level: string) => (message: string) => void lines.push({ level, message });
  return { lines, debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}
