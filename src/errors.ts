/**
 * The error hierarchy. Every failure a user can cause or meet is one of these classes; each
 * carries its exit code (docs/contract.md §6), a stable machine code for `--json`, and where it helps a
 * hint holding the exact command that fixes it. Only `src/commands/` turns them into output.
 *
 * Messages never contain secret values: callers pass names, paths and OAuth error codes only.
 *
 * @module
 */

/** Exit codes of the CLI (docs/contract.md §6). */
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

  /** Creates an error with a message free of secret values, plus an optional hint and cause. */
  constructor(message: string, options: AuthsomeErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.hint = options.hint;
  }
  /** The class name, shown in the debug log. */
  override name: string = "AuthsomeError";
}

/** Bad command line: unknown command or flag, missing argument, bad value (exit 2). */
export class UsageError extends AuthsomeError {
  /** Stable machine-readable code, printed as `error` in `--json` output. */
  override readonly code: string = "usage";
  /** Process exit code for this failure. */
  override readonly exitCode: number = ExitCode.usage;
  /** The class name, shown in the debug log. */
  override name: string = "UsageError";
}

/** A provider definition (bundled, custom or given to `register`) is invalid (exit 2). */
export class ProviderDefinitionError extends AuthsomeError {
  /** Stable machine-readable code, printed as `error` in `--json` output. */
  override readonly code: string = "invalid_provider";
  /** Process exit code for this failure. */
  override readonly exitCode: number = ExitCode.usage;
  /** The class name, shown in the debug log. */
  override name: string = "ProviderDefinitionError";
}

/** No provider with that name exists (exit 3). */
export class ProviderNotFoundError extends AuthsomeError {
  /** Stable machine-readable code, printed as `error` in `--json` output. */
  override readonly code: string = "provider_not_found";
  /** Process exit code for this failure. */
  override readonly exitCode: number = ExitCode.providerNotFound;
  /** The class name, shown in the debug log. */
  override name: string = "ProviderNotFoundError";
}

/** Login failed or was cancelled, or a key failed its format check (exit 4). */
export class AuthenticationError extends AuthsomeError {
  /** Stable machine-readable code, printed as `error` in `--json` output. */
  override readonly code: string = "authentication_failed";
  /** Process exit code for this failure. */
  override readonly exitCode: number = ExitCode.authenticationFailed;
  /** The class name, shown in the debug log. */
  override name: string = "AuthenticationError";
}

/** The connection or a credential it needs does not exist (exit 5). */
export class CredentialMissingError extends AuthsomeError {
  /** Stable machine-readable code, printed as `error` in `--json` output. */
  override readonly code: string = "credential_missing";
  /** Process exit code for this failure. */
  override readonly exitCode: number = ExitCode.credentialMissing;
  /** The class name, shown in the debug log. */
  override name: string = "CredentialMissingError";
}

/** Refresh failed, the token expired, or the connection is invalid (exit 6). */
export class RefreshError extends AuthsomeError {
  /** Stable machine-readable code, printed as `error` in `--json` output. */
  override readonly code: string = "refresh_failed";
  /** Process exit code for this failure. */
  override readonly exitCode: number = ExitCode.refreshFailed;
  /** The class name, shown in the debug log. */
  override name: string = "RefreshError";
}

/** The vault cannot be used: locked, corrupt, wrong key, unsafe permissions (exit 7). */
export class VaultError extends AuthsomeError {
  /** Stable machine-readable code, printed as `error` in `--json` output. */
  override readonly code: string = "vault_unavailable";
  /** Process exit code for this failure. */
  override readonly exitCode: number = ExitCode.vaultUnavailable;
  /** The class name, shown in the debug log. */
  override name: string = "VaultError";
}

/** Another process held `vault.lock` past the deadline. */
export class VaultLockedError extends VaultError {
  /** Stable machine-readable code, printed as `error` in `--json` output. */
  override readonly code: string = "vault_locked";
  /** The class name, shown in the debug log. */
  override name: string = "VaultLockedError";
}

/** The vault file is damaged: truncated, extended, tampered or not a vault at all. */
export class VaultCorruptError extends VaultError {
  /** Stable machine-readable code, printed as `error` in `--json` output. */
  override readonly code: string = "vault_corrupt";
  /** The class name, shown in the debug log. */
  override name: string = "VaultCorruptError";
}

/** The vault was written by a newer (or unknown) format version. */
export class VaultVersionError extends VaultError {
  /** Stable machine-readable code, printed as `error` in `--json` output. */
  override readonly code: string = "vault_version";
  /** The class name, shown in the debug log. */
  override name: string = "VaultVersionError";
}

/** The key we have is not the key the vault was sealed with. */
export class WrongKeyError extends VaultError {
  /** Stable machine-readable code, printed as `error` in `--json` output. */
  override readonly code: string = "wrong_key";
  /** The class name, shown in the debug log. */
  override name: string = "WrongKeyError";
}

/** A key source is missing or malformed (bad base64, wrong length, empty passphrase). */
export class KeySourceError extends VaultError {
  /** Stable machine-readable code, printed as `error` in `--json` output. */
  override readonly code: string = "key_source";
  /** The class name, shown in the debug log. */
  override name: string = "KeySourceError";
}

/** A sensitive file or directory can be read by group or other. */
export class UnsafePermissionsError extends VaultError {
  /** Stable machine-readable code, printed as `error` in `--json` output. */
  override readonly code: string = "unsafe_permissions";
  /** The class name, shown in the debug log. */
  override name: string = "UnsafePermissionsError";
}

/** The home directory or a file in it cannot be created or written. */
export class HomeUnavailableError extends VaultError {
  /** Stable machine-readable code, printed as `error` in `--json` output. */
  override readonly code: string = "home_unavailable";
  /** The class name, shown in the debug log. */
  override name: string = "HomeUnavailableError";
}

/** The home holds the Python predecessor's files and nothing of ours yet (exit 7). */
export class PredecessorHomeError extends VaultError {
  /** Stable machine-readable code, printed as `error` in `--json` output. */
  override readonly code: string = "predecessor_home";
  /** The class name, shown in the debug log. */
  override name: string = "PredecessorHomeError";
}

/** The local daemon is not running or not answering (exit 9). */
export class DaemonUnavailableError extends AuthsomeError {
  /** Stable machine-readable code, printed as `error` in `--json` output. */
  override readonly code: string = "daemon_unavailable";
  /** Process exit code for this failure. */
  override readonly exitCode: number = ExitCode.daemonUnavailable;
  /** The class name, shown in the debug log. */
  override name: string = "DaemonUnavailableError";
}

/** The user pressed Ctrl-C or closed the prompt (exit 130). */
export class InterruptedError extends AuthsomeError {
  /** Stable machine-readable code, printed as `error` in `--json` output. */
  override readonly code: string = "interrupted";
  /** Process exit code for this failure. */
  override readonly exitCode: number = ExitCode.interrupted;
  /** The class name, shown in the debug log. */
  override name: string = "InterruptedError";
}

/** Short description of any thrown value, for the debug log. Never includes secret values. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
