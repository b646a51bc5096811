/**
 * Recognises a home written by authsome's Python predecessor (v0.1/v0.2), which uses the same
 * default directory `~/.authsome`: its `master.key` is JSON (`{"version":1,"key":"<base64>",
 * "algorithm":"AES-256-GCM",...}`) and its credentials live in `profiles/<name>/store.db`
 * (SQLite). Such a home must not be mistaken for a damaged one: the user is told what it is
 * and that `authsome import` copies its connections into the vault.
 *
 * @module
 */
import { PredecessorHomeError } from "../errors.ts";
import type { HomePaths } from "../model/home.ts";
import type { Platform } from "../platform/types.ts";

/** What a predecessor left in a home. */
export interface PredecessorHome {
  /** `master.key` is in the predecessor's JSON format. */
  jsonKeyFile: boolean;
  /** Profiles with a `profiles/<name>/store.db`. */
  profiles: string[];
}

/** The 32-byte key inside a predecessor `master.key` (JSON), or null for anything else. */
export function parsePredecessorKeyFile(text: string): Uint8Array | null {
  if (!text.trimStart().startsWith("{")) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return null;
  }
  const key = (parsed as { key?: unknown } | null)?.key;
  if (typeof key !== "string") return null;
  try {
    const bytes = Uint8Array.fromBase64(key.trim());
    return bytes.length === 32 ? bytes : null;
  } catch {
    return null;
  }
}

/** The store file of one predecessor profile. */
export function predecessorStorePath(home: string, profile: string): string {
  return `${home}/profiles/${profile}/store.db`;
}

/** What the predecessor left in `paths.home`, or null when it left nothing. */
export async function detectPredecessorHome(
  platform: Platform,
  paths: HomePaths,
): Promise<PredecessorHome | null> {
  const [keyText, profileDirs] = await Promise.all([
    platform.fs.readTextFile(paths.masterKey).catch(() => null),
    platform.fs.readDir(`${paths.home}/profiles`).catch(() => [] as string[]),
  ]);
  const jsonKeyFile = keyText !== null && parsePredecessorKeyFile(keyText) !== null;
  const profiles: string[] = [];
  for (const name of profileDirs.sort()) {
    const info = await platform.fs.stat(predecessorStorePath(paths.home, name)).catch(() => null);
    if (info?.isFile) profiles.push(name);
  }
  return jsonKeyFile || profiles.length > 0 ? { jsonKeyFile, profiles } : null;
}

/** The error for a home that holds only the predecessor's files. */
export function predecessorHomeError(
  paths: HomePaths,
  found: PredecessorHome,
): PredecessorHomeError {
  const what = [
    ...(found.jsonKeyFile ? ["master.key"] : []),
    ...found.profiles.map((p) => `profiles/${p}/store.db`),
  ].join(", ");
  return new PredecessorHomeError(
    `${paths.home} was set up by the Python authsome (${what}); ` +
      "this authsome keeps credentials in vault.enc and has not imported them yet",
    { hint: "Import them (the Python files are left untouched): authsome import" },
  );
}
