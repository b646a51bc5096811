/**
 * authsome as a library: fresh credentials for your program, from the same encrypted vault the
 * `authsome` CLI writes. Log in once with the CLI (`authsome login openai`), then:
 *
 * ```ts
 * import { Authsome } from "./mod.ts";
 *
 * await using authsome = await Authsome.open(); // closed at the end of the block
 * const credential = await authsome.credential("openai");
 * await fetch("https://api.openai.com/v1/models", {
 *   headers: { [credential.header.name]: credential.header.value.reveal() },
 * });
 * ```
 *
 * Secrets are {@linkcode Secret}s: they print as `[redacted]` until `reveal()` is called.
 * Failures are {@linkcode AuthsomeError}s carrying the CLI's exit code and a fixing command.
 * The guide, with more examples: `docs/library.md`.
 *
 * @module
 */
import type { AuditSink } from "./src/auth/context.ts";
import { listConnections } from "./src/auth/connections.ts";
import { type AuthsomeContext, createContext } from "./src/auth/context.ts";
import { handOutCredential } from "./src/auth/hand_out.ts";
import type { AuthHeader } from "./src/auth/headers.ts";
import { AuditLog } from "./src/audit/audit_log.ts";
import { InterruptedError, UsageError } from "./src/errors.ts";
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
  HomeUnavailableError,
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

/**
 * Where the library's log lines go: any object with these four methods (a `console`-like
 * wrapper, your own structured logger, or one that discards everything). Messages never hold
 * secret values.
 */
export interface Logger {
  /** Detail for debugging: refresh attempts, provider files read. */
  debug(message: string, fields?: Record<string, unknown>): void;
  /** Routine events. */
  info(message: string, fields?: Record<string, unknown>): void;
  /** Something the user should know, such as a refresh that failed while the token still works. */
  warn(message: string, fields?: Record<string, unknown>): void;
  /** Something failed. */
  error(message: string, fields?: Record<string, unknown>): void;
}

/** Options of {@linkcode Authsome.open}. */
export interface OpenOptions {
  /** The authsome home; default `$AUTHSOME_HOME`, else `~/.authsome`. */
  home?: string;
  /** The profile; default `$AUTHSOME_PROFILE`, else `default`. */
  profile?: string;
  /**
   * The `fetch` used for token refresh requests; default the global `fetch` (which honours
   * `HTTPS_PROXY`). Inject one to add tracing, a custom CA, or a fake in tests.
   */
  fetch?: typeof fetch;
  /**
   * Where log lines go; default the debug log `<home>/logs/authsome.log` (warnings also on
   * stderr), the same file the CLI writes.
   */
  logger?: Logger;
  /**
   * Aborting it cancels every pending call of this handle (a refresh's wait for the vault lock
   * and its token request) with an {@linkcode InterruptedError}, and every later call too.
   */
  signal?: AbortSignal;
}

/** Options of {@linkcode Authsome.credential}. */
export interface CredentialOptions {
  /** The connection's name; default the provider's default connection. */
  connection?: string;
  /**
   * Cancels this call while it waits for the vault lock or for the token endpoint, with an
   * {@linkcode InterruptedError} (exit code 130). Nothing is written when it fires.
   */
  signal?: AbortSignal;
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
  /**
   * Set when a refresh failed (say, the network is down) but the stored token is still valid:
   * the credential works for now. Also sent to the logger as a warning.
   */
  warning?: string;
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

/** What a handle holds until {@linkcode Authsome.close}. */
interface Held {
  ctx: AuthsomeContext;
  /** Closed on `close()` when the handle made it (never a logger the caller passed). */
  ownLogger: { close(): Promise<void> } | null;
  /** Fires on `close()` or when the caller's `signal` aborts. */
  stop: AbortController;
  /** Calls under way, which `close()` waits for. */
  pending: Set<Promise<unknown>>;
  unlinkSignal: () => void;
}

/**
 * A handle on one authsome home and profile. Open it with {@linkcode Authsome.open}, ask it for
 * credentials, and {@linkcode Authsome.close} it when done (or use `await using`).
 */
export class Authsome implements AsyncDisposable {
  #held: Held | null;
  readonly #profile: string;

  private constructor(held: Held) {
    this.#held = held;
    this.#profile = held.ctx.profile;
  }

  /**
   * Opens the authsome home. Nothing is read until the first call. Fails with a
   * {@linkcode UsageError} (exit code 2) for an invalid profile name.
   *
   * @example Open the default home
   * ```ts
   * import { Authsome } from "./mod.ts";
   * const authsome = await Authsome.open({ profile: "default" });
   * await authsome.close();
   * ```
   */
  static open(options: OpenOptions = {}): Promise<Authsome> {
    try {
      const base = denoPlatform();
      const platform = options.fetch ? { ...base, fetch: options.fetch } : base;
      const home = options.home ?? resolveHome(platform.env, platform.userHome());
      const ownLogger = options.logger ? null : createLogger({ platform, home });
      const log = options.logger ?? ownLogger!;
      const auditLog = new AuditLog(platform, home);
      // Everything this handle audits (reveals and its refreshes) says it came this way.
      const audit: AuditSink = { append: (entry) => auditLog.append({ ...entry, via: "library" }) };
      const ctx = createContext(platform, { home, profile: options.profile, log, audit });
      const stop = new AbortController();
      const signal = options.signal;
      const onAbort = () => stop.abort(signal?.reason);
      if (signal?.aborted) stop.abort(signal.reason);
      else signal?.addEventListener("abort", onAbort, { once: true });
      const unlinkSignal = () => signal?.removeEventListener("abort", onAbort);
      return Promise.resolve(
        new Authsome({ ctx, ownLogger, stop, pending: new Set(), unlinkSignal }),
      );
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** The profile this handle reads. */
  get profile(): string {
    return this.#profile;
  }

  /**
   * A fresh credential for `provider` (its default connection unless `connection` is given).
   * Applies the refresh rule first, exactly like `authsome get`, and audits the access.
   *
   * Fails with an {@linkcode AuthsomeError} subclass: {@linkcode ProviderNotFoundError} (3),
   * {@linkcode CredentialMissingError} (5, not logged in), {@linkcode RefreshError} (6),
   * a {@linkcode VaultError} (7) or {@linkcode InterruptedError} (130). Each carries
   * `exitCode`, a machine `code` and, where one exists, a `hint` with the fixing command.
   *
   * @example Call an API with a fresh token
   * ```ts
   * import { Authsome } from "./mod.ts";
   * await using authsome = await Authsome.open();
   * const { header } = await authsome.credential("github");
   * await fetch("https://api.github.com/user", {
   *   headers: { [header.name]: header.value.reveal() },
   * });
   * ```
   */
  credential(provider: string, options: CredentialOptions = {}): Promise<Credential> {
    return this.#track(async (held) => {
      const signal = options.signal
        ? AbortSignal.any([held.stop.signal, options.signal])
        : held.stop.signal;
      const handed = await handOutCredential(held.ctx, provider, {
        connection: options.connection,
        header: true,
        auditField: "credential",
        signal,
      });
      const { connection } = handed;
      if (handed.warning) held.ctx.log.warn(handed.warning);
      const credential: Credential = {
        provider,
        connection: connection.connectionName,
        authType: connection.authType,
        value: handed.secret!,
        header: handed.header!,
        expiresAt: connection.expiresAt,
      };
      if (handed.warning) credential.warning = handed.warning;
      return credential;
    });
  }

  /** Every stored connection of the profile, without secrets. Never refreshes or audits. */
  connections(): Promise<ConnectionSummary[]> {
    return this.#track(async ({ ctx }) => {
      const snapshot = await ctx.vault.read();
      return (await listConnections(snapshot, ctx.profile)).map((c) => ({
        provider: c.provider,
        connection: c.connectionName,
        authType: c.authType,
        status: c.status,
        expiresAt: c.expiresAt,
        scopes: c.scopes,
      }));
    });
  }

  /**
   * Releases what the handle holds: cancels pending calls (they reject with
   * {@linkcode InterruptedError}), waits for them to settle, flushes and closes the debug log
   * file it opened (not a logger you passed), and drops the cached vault key. Later calls fail
   * with a {@linkcode UsageError}. Closing twice is harmless.
   */
  async close(): Promise<void> {
    const held = this.#held;
    if (!held) return;
    this.#held = null;
    held.unlinkSignal();
    held.stop.abort(new InterruptedError("interrupted"));
    await Promise.allSettled(held.pending);
    await held.ownLogger?.close();
  }

  /** {@linkcode Authsome.close}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #track<T>(call: (held: Held) => Promise<T>): Promise<T> {
    const held = this.#held;
    if (!held) {
      return Promise.reject(
        new UsageError("this Authsome handle is closed", {
          hint: "Open a new one: await Authsome.open()",
        }),
      );
    }
    if (held.stop.signal.aborted) {
      return Promise.reject(
        new InterruptedError("interrupted", { cause: held.stop.signal.reason }),
      );
    }
    const running = call(held);
    const settled = running.then(() => {}, () => {});
    held.pending.add(settled);
    void settled.then(() => held.pending.delete(settled));
    return running;
  }
}
