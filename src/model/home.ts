/**
 * The layout of the authsome home directory (CONTRACT §3). Pure path arithmetic.
 *
 * @module
 */

/** Absolute paths of every file authsome keeps under its home. */
export interface HomePaths {
  home: string;
  vault: string;
  vaultBackup: string;
  vaultLock: string;
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
