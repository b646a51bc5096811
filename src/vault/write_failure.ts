/**
 * Turns a failed file-system write under the home into the vault error a user can act on:
 * which path, and why in plain words (permission denied, no space left), exit 7.
 *
 * @module
 */
import { AuthsomeError, HomeUnavailableError } from "../errors.ts";

/** Plain reasons for the OS error codes a write under the home meets. */
const REASONS: Record<string, string> = {
  ENOSPC: "no space left on device",
  EDQUOT: "disk quota exceeded",
  EACCES: "permission denied",
  EPERM: "permission denied",
  EROFS: "read-only file system",
  EIO: "input/output error",
  ENOTDIR: "a parent is not a directory",
  EISDIR: "a directory is in the way",
};

/** The OS error code (`ENOSPC`, `EACCES`, ...) of a thrown value, if it carries one. */
function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === "string") return code;
  if (error instanceof Error && error.name === "PermissionDenied") return "EACCES";
  return undefined;
}

/** The reason a write failed, in words: `no space left on device`, `permission denied`, ... */
export function writeFailureReason(error: unknown): string {
  const reason = REASONS[errorCode(error) ?? ""];
  if (reason) return reason;
  const message = error instanceof Error ? error.message : String(error);
  // Deno appends the syscall and path (`: open '/x'`); the path is said once, by the caller.
  return message.replace(/\s*\(os error \d+\).*$/s, "").toLowerCase() || "unknown error";
}

/**
 * `cannot write <what> <path>: <reason>` with the command or step that fixes it. Authsome's own
 * errors pass through unchanged.
 */
export function writeFailure(what: string, path: string, home: string, error: unknown): Error {
  if (error instanceof AuthsomeError) return error;
  const code = errorCode(error);
  const reason = writeFailureReason(error);
  let hint = `Set AUTHSOME_HOME to a directory you can write, or fix ${home}`;
  if (code === "ENOSPC" || code === "EDQUOT") {
    hint = `Free some space on the disk holding ${home} (df -h ${home}), then retry`;
  } else if (code === "EACCES" || code === "EPERM") {
    hint = `Make ${home} writable (chmod u+rwx ${home}), or set AUTHSOME_HOME to another directory`;
  } else if (code === "EROFS") {
    hint = `${home} is on a read-only file system: set AUTHSOME_HOME to a writable directory`;
  }
  return new HomeUnavailableError(`cannot write ${what} ${path}: ${reason}`, {
    cause: error,
    hint,
  });
}
