/**
 * authsome as a library: fresh credentials for your program, from the same encrypted vault the
 * `authsome` CLI writes. Log in once with the CLI (`authsome login openai`), then:
 *
 * ```ts
 * import { Authsome } from "./mod.ts";
 *
 * const authsome = await Authsome.open();
 * const credential = await authsome.credential("openai");
 * await fetch("https://api.openai.com/v1/models", {
 *   headers: { [credential.header.name]: credential.header.value.reveal() },
 * });
 * ```
 *
 * Secrets are {@linkcode Secret}s: they print as `[redacted]` until `reveal()` is called.
 * Failures are {@linkcode AuthsomeError}s carrying the CLI's exit code and a fixing command.
 *
 * @module
 */
import { accessConnection } from "./src/auth/access.ts";
import { listConnections } from "./src/auth/connections.ts";
import { type AuthsomeContext, createContext } from "./src/auth/context.ts";
import { type AuthHeader, authHeader } from "./src/auth/headers.ts";
import { AuditLog } from "./src/audit/audit_log.ts";
import { createLogger } from "./src/log/logger.ts";
import { resolveHome } from "./src/model/home.ts";
import type { Secret } from "./src/model/secret.ts";
import { denoPlatform } from "./src/platform/deno.ts";

export { Secret } from "./src/model/secret.ts";
export {
  AuthenticationError,
  AuthsomeError,
  CredentialMissingError,
  DaemonUnavailableError,
  ExitCode,
  InterruptedError,
  KeySourceError,
  ProviderDefinitionError,
  ProviderNotFoundError,
  RefreshError,
  UnsafePermissionsError,
  UsageError,
  VaultCorruptError,
  VaultError,
  VaultLockedError,
  VaultVersionError,
  WrongKeyError,
} from "./src/errors.ts";
export type { AuthHeader } from "./src/auth/headers.ts";
export type { ConnectionStatus } from "./src/model/connection.ts";
export { PROVIDER_SCHEMA_VERSION } from "./src/model/provider.ts";
export type {
  ApiKeyBlock,
  ApiKeyProviderDefinition,
  AuthType,
  BasicAuthMode,
  ClientEnv,
  DeviceTokenRequest,
  ExportField,
  OAuthBlock,
  OAuthFlow,
  OAuthProviderDefinition,
  ProviderBase,
  ProviderDefinition,
} from "./src/model/provider.ts";

/** Options of {@linkcode Authsome.open}. */
export interface OpenOptions {
  /** The authsome home; default `$AUTHSOME_HOME`, else `~/.authsome`. */
  home?: string;
  /** The profile; default `$AUTHSOME_PROFILE`, else `default`. */
  profile?: string;
}

/** A credential ready to use. */
export interface Credential {
  /** The provider's name, such as `openai`. */
  provider: string;
  /** The connection's name within the provider. */
  connection: string;
  /** How the credential was obtained. */
  authType: "oauth2" | "api_key";
  /** The access token or API key. */
  value: Secret;
  /** The header to send it in (`Authorization: Bearer ...`, or the provider's API-key header). */
  header: AuthHeader;
  /** RFC 3339 UTC, or null when the credential does not expire. */
  expiresAt: string | null;
}

/** A stored connection, without secrets. */
export interface ConnectionSummary {
  /** The provider's name, such as `openai`. */
  provider: string;
  /** The connection's name within the provider. */
  connection: string;
  /** How the credential was obtained. */
  authType: "oauth2" | "api_key";
  /** Whether the connection is usable, expired, or invalid. */
  status: "connected" | "expired" | "invalid";
  /** RFC 3339 UTC, or null when the credential does not expire. */
  expiresAt: string | null;
  /** The OAuth scopes granted; empty when there are none. */
  scopes: string[];
}

/** A handle on one authsome home and profile. */
export class Authsome {
  readonly #ctx: AuthsomeContext;

  private constructor(ctx: AuthsomeContext) {
    this.#ctx = ctx;
  }

  /**
   * Opens the authsome home. Nothing is read until the first call.
   *
   * @example Open the default home
   * ```ts
   * import { Authsome } from "./mod.ts";
   * const authsome = await Authsome.open({ profile: "default" });
   * ```
   */
  static open(options: OpenOptions = {}): Promise<Authsome> {
    const platform = denoPlatform();
    const home = options.home ?? resolveHome(platform.env, platform.userHome());
    const log = createLogger({ platform, home });
    const audit = new AuditLog(platform, home);
    const ctx = createContext(platform, {
      home,
      profile: options.profile,
      log,
      audit,
    });
    return Promise.resolve(new Authsome(ctx));
  }

  /** The profile this handle reads. */
  get profile(): string {
    return this.#ctx.profile;
  }

  /**
   * A fresh credential for `provider` (its default connection unless `connection` is given).
   * Applies the refresh rule first, exactly like `authsome get`. The access is audited.
   */
  async credential(provider: string, options: { connection?: string } = {}): Promise<Credential> {
    const definition = (await this.#ctx.providers()).get(provider);
    const { connection } = await accessConnection(this.#ctx, provider, options);
    const header = authHeader(definition, connection);
    const value = connection.authType === "api_key" ? connection.apiKey : connection.accessToken;
    await this.#ctx.audit.append({
      event: "get",
      provider,
      connection: connection.connectionName,
      status: "success",
      field: "credential",
      via: "library",
    });
    return {
      provider,
      connection: connection.connectionName,
      authType: connection.authType,
      value: value!,
      header,
      expiresAt: connection.expiresAt,
    };
  }

  /** Every stored connection of the profile, without secrets. */
  async connections(): Promise<ConnectionSummary[]> {
    const snapshot = await this.#ctx.vault.read();
    return (await listConnections(snapshot, this.#ctx.profile)).map((c) => ({
      provider: c.provider,
      connection: c.connectionName,
      authType: c.authType,
      status: c.status,
      expiresAt: c.expiresAt,
      scopes: c.scopes,
    }));
  }
}
