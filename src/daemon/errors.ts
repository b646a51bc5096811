/**
 * How daemon failures travel over HTTP: every error is a JSON body
 * `{error, message, hint?, exit_code}` where `error` is the CLI's `--json` error code and
 * `exit_code` the docs/contract.md §6 exit code the CLI would have used, with the HTTP status below.
 * The client turns such a body back into the same error class, so `get` and `export` fail the
 * same way with and without a daemon.
 *
 * | error (class)                                     | HTTP | exit |
 * | ------------------------------------------------- | ---- | ---- |
 * | `usage`, `invalid_provider`, bad JSON             | 400  | 2    |
 * | `unauthorized` (missing or wrong bearer token)    | 401  | 9    |
 * | `forbidden` (foreign Host, any Origin)            | 403  | 9    |
 * | `provider_not_found`                              | 404  | 3    |
 * | `credential_missing` (no such connection)         | 404  | 5    |
 * | `not_found` (no such API path)                    | 404  | 2    |
 * | `method_not_allowed`                              | 405  | 2    |
 * | `refresh_failed`, connection now `invalid`        | 409  | 6    |
 * | `payload_too_large` (body over 16 KiB)            | 413  | 2    |
 * | `unsupported_media_type` (POST body not JSON)     | 415  | 2    |
 * | `authentication_failed`                           | 422  | 4    |
 * | `failure` (unexpected; details in the debug log)  | 500  | 1    |
 * | `refresh_failed`, provider unreachable / expired  | 502  | 6    |
 * | `vault_*`, `wrong_key`, `unsafe_permissions`, ... | 503  | 7    |
 * | `daemon_unavailable` (starting or stopping)       | 503  | 9    |
 *
 * A 409 means the user must act (log in again); a 502 may succeed on a later try.
 *
 * @module
 */
import {
  AuthenticationError,
  AuthsomeError,
  CredentialMissingError,
  DaemonUnavailableError,
  ExitCode,
  InterruptedError,
  ProviderNotFoundError,
  RefreshError,
  UsageError,
  VaultError,
} from "../errors.ts";

/** The JSON body of every daemon error response. */
export interface DaemonErrorBody {
  error: string;
  message: string;
  hint?: string;
  exit_code: number;
}

/** An error of the daemon's own HTTP layer (auth, routing, body limits). */
export class DaemonHttpError extends AuthsomeError {
  override readonly code: string;
  override readonly exitCode: number;
  readonly status: number;
  readonly headers: Record<string, string>;

  constructor(
    status: number,
    code: string,
    message: string,
    options: { exitCode?: number; headers?: Record<string, string> } = {},
  ) {
    super(message);
    this.status = status;
    this.code = code;
    this.exitCode = options.exitCode ?? ExitCode.usage;
    this.headers = options.headers ?? {};
  }
  override name = "DaemonHttpError";
}

/** The HTTP status for an authsome error (see the table above). */
export function httpStatus(error: AuthsomeError): number {
  if (error instanceof DaemonHttpError) return error.status;
  if (error instanceof RefreshError) {
    // Refresh errors carry the connection as it was left: `invalid` needs a new login.
    const status = (error as { connection?: { status?: string } }).connection?.status;
    return status === "invalid" ? 409 : 502;
  }
  switch (error.exitCode) {
    case ExitCode.usage:
      return 400;
    case ExitCode.providerNotFound:
    case ExitCode.credentialMissing:
      return 404;
    case ExitCode.authenticationFailed:
      return 422;
    case ExitCode.vaultUnavailable:
    case ExitCode.daemonUnavailable:
    case ExitCode.interrupted:
      return 503;
    default:
      return 500;
  }
}

/** The response body for an error; unexpected errors say nothing about their internals. */
export function errorBody(error: unknown): DaemonErrorBody {
  if (!(error instanceof AuthsomeError) || error.exitCode === ExitCode.failure) {
    return {
      error: "failure",
      message: "unexpected daemon error; see the daemon's debug log (authsome log --raw)",
      exit_code: ExitCode.failure,
    };
  }
  const body: DaemonErrorBody = {
    error: error.code,
    message: error.message,
    exit_code: error.exitCode,
  };
  if (error.hint) body.hint = error.hint;
  return body;
}

const CLASSES: Record<number, new (message: string, options: { hint?: string }) => AuthsomeError> =
  {
    [ExitCode.usage]: UsageError,
    [ExitCode.providerNotFound]: ProviderNotFoundError,
    [ExitCode.authenticationFailed]: AuthenticationError,
    [ExitCode.credentialMissing]: CredentialMissingError,
    [ExitCode.refreshFailed]: RefreshError,
    [ExitCode.vaultUnavailable]: VaultError,
    [ExitCode.daemonUnavailable]: DaemonUnavailableError,
    [ExitCode.interrupted]: InterruptedError,
  };

/**
 * The error a daemon error body stands for, as the class with that exit code and the daemon's
 * exact machine code (e.g. `vault_locked`), or null when the body is not a daemon error.
 */
export function errorFromBody(value: unknown): AuthsomeError | null {
  if (typeof value !== "object" || value === null) return null;
  const body = value as Partial<DaemonErrorBody>;
  if (typeof body.error !== "string" || typeof body.message !== "string") return null;
  const Class = typeof body.exit_code === "number" ? CLASSES[body.exit_code] : undefined;
  if (!Class) return null;
  const error = new Class(body.message, {
    hint: typeof body.hint === "string" ? body.hint : undefined,
  });
  // `code` is a plain own property; keep the daemon's specific code for `--json` output.
  Object.defineProperty(error, "code", { value: body.error });
  return error;
}
