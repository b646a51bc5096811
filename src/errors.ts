/**
 * The error hierarchy. Every failure a user can cause or meet is one of these classes; each
 * carries its exit code (CONTRACT §6), a stable machine code for `--json`, and where it helps a
 * hint holding the exact command that fixes it. Only `src/commands/` turns them into output.
 *
 * Messages never contain secret values: callers pass names, paths and OAuth error codes only.
 *
 * @module
 */

/** Exit codes of the CLI (CONTRACT §6). */
export const ExitCode = {
  ok: 0,
  failure: 1,
  usage: 2,
  providerNotFound: 3,
  authenticationFailed: 4,
  credentialMissing: 5,
  refreshFailed: 6,
  vaultUnavailable: 7,
  daemonUnavailable: 9,
  interrupted: 130,
} as const;

/** Options shared by every authsome error. */
export interface AuthsomeErrorOptions {
  /** The exact command (or short instruction) that fixes the problem. */
  hint?: string;
  /** The underlying error, kept for the debug log. */
  cause?: unknown;
}

/** Base class: unexpected failures (exit 1). */
export class AuthsomeError extends Error {
  /** Stable machine-readable code, printed as `error` in `--json` output. */
  readonly code: string = "failure";
  /** Process exit code for this failure. */
  readonly exitCode: number = ExitCode.failure;
  /** The command that fixes the problem, if there is one. */
  readonly hint?: string;

  constructor(message: string, options: AuthsomeErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.hint = options.hint;
  }
  override name = "AuthsomeError";
}

/** Bad command line: unknown command or flag, missing argument, bad value (exit 2). */
export class UsageError extends AuthsomeError {
  override readonly code = "usage";
  override readonly exitCode = ExitCode.usage;
  override name = "UsageError";
}

/** A provider definition (bundled, custom or given to `register`) is invalid (exit 2). */
export class ProviderDefinitionError extends AuthsomeError {
  override readonly code = "invalid_provider";
  override readonly exitCode = ExitCode.usage;
  override name = "ProviderDefinitionError";
}

/** No provider with that name exists (exit 3). */
export class ProviderNotFoundError extends AuthsomeError {
  override readonly code = "provider_not_found";
  override readonly exitCode = ExitCode.providerNotFound;
  override name = "ProviderNotFoundError";
}

/** Login failed or was cancelled, or a key failed its format check (exit 4). */
export class AuthenticationError extends AuthsomeError {
  override readonly code: string = "authentication_failed";
  override readonly exitCode = ExitCode.authenticationFailed;
  override name = "AuthenticationError";
}

/** The connection or a credential it needs does not exist (exit 5). */
export class CredentialMissingError extends AuthsomeError {
  override readonly code = "credential_missing";
  override readonly exitCode = ExitCode.credentialMissing;
  override name = "CredentialMissingError";
}

/** Refresh failed, the token expired, or the connection is invalid (exit 6). */
export class RefreshError extends AuthsomeError {
  override readonly code = "refresh_failed";
  override readonly exitCode = ExitCode.refreshFailed;
  override name = "RefreshError";
}

/** The vault cannot be used: locked, corrupt, wrong key, unsafe permissions (exit 7). */
export class VaultError extends AuthsomeError {
  override readonly code: string = "vault_unavailable";
  override readonly exitCode = ExitCode.vaultUnavailable;
  override name = "VaultError";
}

/** Another process held `vault.lock` past the deadline. */
export class VaultLockedError extends VaultError {
  override readonly code = "vault_locked";
  override name = "VaultLockedError";
}

/** The vault file is damaged: truncated, extended, tampered or not a vault at all. */
export class VaultCorruptError extends VaultError {
  override readonly code = "vault_corrupt";
  override name = "VaultCorruptError";
}

/** The vault was written by a newer (or unknown) format version. */
export class VaultVersionError extends VaultError {
  override readonly code = "vault_version";
  override name = "VaultVersionError";
}

/** The key we have is not the key the vault was sealed with. */
export class WrongKeyError extends VaultError {
  override readonly code = "wrong_key";
  override name = "WrongKeyError";
}

/** A key source is missing or malformed (bad base64, wrong length, empty passphrase). */
export class KeySourceError extends VaultError {
  override readonly code = "key_source";
  override name = "KeySourceError";
}

/** A sensitive file or directory can be read by group or other. */
export class UnsafePermissionsError extends VaultError {
  override readonly code = "unsafe_permissions";
  override name = "UnsafePermissionsError";
}

/** The home directory or a file in it cannot be created or written. */
export class HomeUnavailableError extends VaultError {
  override readonly code = "home_unavailable";
  override name = "HomeUnavailableError";
}

/** The local daemon is not running or not answering (exit 9). */
export class DaemonUnavailableError extends AuthsomeError {
  override readonly code = "daemon_unavailable";
  override readonly exitCode = ExitCode.daemonUnavailable;
  override name = "DaemonUnavailableError";
}

/** The user pressed Ctrl-C or closed the prompt (exit 130). */
export class InterruptedError extends AuthsomeError {
  override readonly code = "interrupted";
  override readonly exitCode = ExitCode.interrupted;
  override name = "InterruptedError";
}

/** Short description of any thrown value, for the debug log. Never includes secret values. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
