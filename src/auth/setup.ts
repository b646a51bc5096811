/**
 * First-use set-up of the home: directory (0700), key, vault and `config.json`.
 *
 * @module
 */
import { KEY_SOURCE_NAMES, selectedKeySource } from "../vault/key_source.ts";
import type { AuthsomeContext } from "./context.ts";

/** The non-secret settings file. */
export interface HomeConfig {
  format_version: number;
  /** `daemon`: passphrase-sealed, the key held only by an unlocked daemon (docs/isolation.md). */
  key_mode: "key_file" | "env_key" | "passphrase" | "daemon";
  default_profile: string;
  [field: string]: unknown;
}

const KEY_MODES = { 1: "key_file", 2: "env_key", 3: "passphrase" } as const;

/** Writes `config.json` if it does not exist yet. */
export async function ensureConfig(ctx: AuthsomeContext): Promise<void> {
  const existing = await ctx.platform.fs.stat(ctx.paths.config);
  if (existing) return;
  const snapshot = await ctx.vault.read();
  const source = snapshot.header?.keySource ?? selectedKeySource(ctx.platform.env);
  const config: HomeConfig = {
    format_version: 1,
    key_mode: KEY_MODES[source],
    default_profile: "default",
  };
  await ctx.platform.fs.writeFileAtomic(
    ctx.paths.config,
    new TextEncoder().encode(JSON.stringify(config, null, 2) + "\n"),
    { mode: 0o600 },
  );
}

/** Creates whatever is missing; reports whether the vault was created now. */
export async function initializeHome(
  ctx: AuthsomeContext,
): Promise<{ created: boolean; keySource: string }> {
  const { created } = await ctx.vault.initialize();
  await ctx.platform.fs.ensureDir(ctx.paths.logs, 0o700);
  await ensureConfig(ctx);
  const header = (await ctx.vault.read()).header;
  const source = header?.keySource ?? selectedKeySource(ctx.platform.env);
  return { created, keySource: KEY_SOURCE_NAMES[source] };
}

/** Records key mode `daemon` in `config.json` (keeping its other settings). */
export async function setDaemonKeyMode(ctx: AuthsomeContext): Promise<void> {
  const text = await ctx.platform.fs.readTextFile(ctx.paths.config);
  let config: HomeConfig = { format_version: 1, key_mode: "daemon", default_profile: "default" };
  if (text) {
    try {
      config = { ...JSON.parse(text), key_mode: "daemon" };
    } catch {
      // A damaged settings file is replaced by the defaults.
    }
  }
  await ctx.platform.fs.writeFileAtomic(
    ctx.paths.config,
    new TextEncoder().encode(JSON.stringify(config, null, 2) + "\n"),
    { mode: 0o600 },
  );
}
