/**
 * Key mode `daemon` seen from a command that has no passphrase: the vault key is not on disk,
 * only an unlocked daemon holds it. `whoami` and `doctor` report that state instead of failing
 * on a vault they were never meant to open.
 *
 * @module
 */
import { isDaemonKeyMode, selectedKeySource } from "../vault/key_source.ts";
import { KeySource } from "../vault/format.ts";
import type { AuthsomeContext } from "./context.ts";

/** Where the key of a key-mode-`daemon` home is, for a process without the passphrase. */
export interface KeyHeldByDaemon {
  /** Whether a daemon holds `<home>/daemon/lock` (it runs, so the key is unlocked). */
  daemonRunning: boolean;
}

/**
 * Null when this process can open the vault itself (any other key mode, or a key source in the
 * environment); otherwise whether a daemon holds the key.
 */
export async function keyHeldByDaemon(ctx: AuthsomeContext): Promise<KeyHeldByDaemon | null> {
  const { platform, paths } = ctx;
  if (selectedKeySource(platform.env) !== KeySource.keyFile) return null;
  if (!(await isDaemonKeyMode(platform, paths))) return null;
  if (!(await platform.fs.stat(paths.daemon))?.isDirectory) return { daemonRunning: false };
  let probe;
  try {
    probe = await platform.fs.lock(`${paths.daemon}/lock`, 0);
  } catch {
    return { daemonRunning: false };
  }
  if (!probe) return { daemonRunning: true };
  await probe.release();
  return { daemonRunning: false };
}
