/**
 * Temp copies of the vault that a killed write leaves in the home: the new file before its
 * rename (`.vault.enc.<pid>.<random>.tmp`), the hard link that becomes `vault.enc.bak`
 * (`vault.enc.bak.<pid>.<random>.tmp`) and the journal's reservation
 * (`.vault.journal.<pid>.<random>.tmp`). They hold records the user may have deleted since
 * (encrypted, but readable with the key), so they are removed under `vault.lock`, when no write
 * can be in progress, and `doctor` reports them.
 *
 * @module
 */
import type { FileSystem } from "../platform/types.ts";

const LEFTOVER = /^(?:\.vault\.enc|vault\.enc\.bak|\.vault\.journal)\.\d+\.[0-9a-f]+\.tmp$/;

/** Whether a file name in the home is a temp copy left by a vault write. */
export function isVaultLeftover(name: string): boolean {
  return LEFTOVER.test(name);
}

/** Names of the temp vault copies in `home`. */
export async function findVaultLeftovers(fs: FileSystem, home: string): Promise<string[]> {
  return (await fs.readDir(home)).filter(isVaultLeftover);
}
