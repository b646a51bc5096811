/**
 * The context every use case runs in: the platform, the home, the profile, the vault, the logs
 * and the provider registry, wired once per process. Nothing in the core is global.
 *
 * @module
 */
import type { AuditEvent } from "../audit/audit_log.ts";
import { checkName } from "../model/connection.ts";
import { type HomePaths, homePaths } from "../model/home.ts";
import type { Platform } from "../platform/types.ts";
import type { ProviderRegistry } from "../providers/registry.ts";
import { Vault } from "../vault/vault.ts";

/** The debug log as the core sees it. */
export interface LogSink {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** The audit log as the core sees it. */
export interface AuditSink {
  append(entry: AuditEvent): Promise<void>;
}

/** Everything a use case needs. */
export interface AuthsomeContext {
  platform: Platform;
  paths: HomePaths;
  profile: string;
  vault: Vault;
  log: LogSink;
  audit: AuditSink;
  /** The provider registry, loaded on first use (bundled + custom definitions). */
  providers(): Promise<ProviderRegistry>;
}

/** Options of {@linkcode createContext}. */
export interface ContextOptions {
  home: string;
  profile?: string;
  log: LogSink;
  audit: AuditSink;
  lockTimeoutMs?: number;
}

/** Wires a context. The profile comes from the option, else `AUTHSOME_PROFILE`, else default. */
export function createContext(platform: Platform, options: ContextOptions): AuthsomeContext {
  const paths = homePaths(options.home);
  const profile = checkName(
    "profile",
    options.profile ?? platform.env("AUTHSOME_PROFILE") ?? "default",
  );
  let registry: Promise<ProviderRegistry> | null = null;
  return {
    platform,
    paths,
    profile,
    vault: new Vault(platform, paths, { lockTimeoutMs: options.lockTimeoutMs }),
    log: options.log,
    audit: options.audit,
    providers() {
      // Loaded on demand: the catalogue and its validator stay off the `get` fast path.
      registry ??= import("../providers/registry.ts").then(({ ProviderRegistry }) =>
        ProviderRegistry.load(platform, paths.home)
      ).then((loaded) => {
        for (const warning of loaded.warnings) {
          options.log.warn(`skipping invalid provider file ${warning.file}: ${warning.message}`);
        }
        return loaded;
      });
      return registry;
    },
  };
}
