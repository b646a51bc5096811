/**
 * The layout of the authsome home directory (docs/contract.md §3), and the check that it is safe to use.
 *
 * @module
 */
import { UnsafePermissionsError } from "../errors.ts";
import type { Platform } from "../platform/types.ts";

/** Absolute paths of every file authsome keeps under its home. */
export interface HomePaths {
  home: string;
  vault: string;
  vaultBackup: string;
  vaultLock: string;
  /** The refresh journal (`src/vault/journal.ts`). */
  vaultJournal: string;
  masterKey: string;
  config: string;
  providers: string;
  auditLog: string;
  logs: string;
  debugLog: string;
  daemon: string;
}

/** Paths under `home`. */
export function homePaths(home: string): HomePaths {
  const root = home.length > 1 ? home.replace(/\/+$/, "") : home;
  return {
    home: root,
    vault: `${root}/vault.enc`,
    vaultBackup: `${root}/vault.enc.bak`,
    vaultLock: `${root}/vault.lock`,
    vaultJournal: `${root}/vault.journal`,
    masterKey: `${root}/master.key`,
    config: `${root}/config.json`,
    providers: `${root}/providers`,
    auditLog: `${root}/audit.log`,
    logs: `${root}/logs`,
    debugLog: `${root}/logs/authsome.log`,
    daemon: `${root}/daemon`,
  };
}

/** `$AUTHSOME_HOME`, else `~/.authsome`. */
export function resolveHome(env: (name: string) => string | undefined, userHome?: string): string {
  const explicit = env("AUTHSOME_HOME");
  if (explicit) return explicit;
  if (!userHome) return ".authsome";
  return `${userHome.replace(/\/+$/, "")}/.authsome`;
}

/**
 * Why the home at `info` is unsafe to use, or null when it is fine: a home another user owns,
 * or one group or others may write to, lets them swap in files (a vault, a key, symlinks in
 * place of the logs) that authsome would then trust. `uid` is ours; null skips the owner check
 * (Windows, where neither owners nor modes are reported).
 */
export function homeProblem(
  home: string,
  info: { isDirectory: boolean; mode: number | null; uid?: number | null },
  uid: number | null,
): { message: string; hint: string } | null {
  if (!info.isDirectory) {
    return {
      message: `the authsome home ${home} is not a directory`,
      hint: `Set AUTHSOME_HOME to a directory of yours, e.g. export AUTHSOME_HOME=~/.authsome`,
    };
  }
  if (uid !== null && info.uid !== undefined && info.uid !== null && info.uid !== uid) {
    return {
      message: `the authsome home ${home} belongs to another user (uid ${info.uid}, you are ` +
        `uid ${uid}); its files could be replaced behind your back`,
      hint: `sudo chown -R ${uid} ${home} && chmod 700 ${home}   ` +
        `# or use a home of your own: export AUTHSOME_HOME=~/.authsome`,
    };
  }
  if (info.mode !== null && (info.mode & 0o022) !== 0) {
    return {
      message: `the authsome home ${home} can be written by other users (mode ` +
        `${info.mode.toString(8).padStart(3, "0")}); they could replace its files`,
      hint: `chmod 700 ${home}`,
    };
  }
  return null;
}

/**
 * Rejects with {@linkcode UnsafePermissionsError} (exit 7) when `home` is unsafe (see
 * {@linkcode homeProblem}); a home that does not exist yet passes. One `stat`, cheap enough for
 * the `get` path.
 */
export async function assertSafeHome(platform: Platform, home: string): Promise<void> {
  const info = await platform.fs.stat(home);
  if (info === null) return;
  const problem = homeProblem(home, info, platform.userId?.() ?? null);
  if (problem) throw new UnsafePermissionsError(problem.message, { hint: problem.hint });
}
