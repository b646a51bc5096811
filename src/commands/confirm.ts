/**
 * Asking before credentials are deleted (`logout`, `revoke`, `remove`).
 *
 * - `--yes` (`-y`) never asks.
 * - Standard input is a terminal: the question goes to stderr and the answer is read from the
 *   terminal; anything but `y` / `yes` refuses with exit 2, nothing deleted, and the hint shows
 *   the `--yes` form.
 * - Standard input is not a terminal (a script, CI, a pipe): no question, the command proceeds,
 *   as it always did, so existing scripts keep working.
 *
 * @module
 */
import { findClient } from "../auth/clients.ts";
import { listConnections } from "../auth/connections.ts";
import type { AuthsomeContext } from "../auth/context.ts";
import { UsageError } from "../errors.ts";
import { booleanFlag, type Invocation } from "./invocation.ts";

/**
 * Resolves when the user agreed or was not asked; throws {@linkcode UsageError} otherwise.
 * `question` is only worked out when it will be asked; null means nothing would be lost.
 */
export async function confirmDeletion(
  invocation: Invocation,
  command: string,
  question: () => Promise<string | null>,
): Promise<void> {
  const { terminal } = invocation.platform;
  if (booleanFlag(invocation, "yes") || !terminal.stdinIsTerminal) return;
  const text = await question();
  if (text === null) return;
  const answer = (await terminal.readLine(`${text} [y/N] `)).trim().toLowerCase();
  if (answer === "y" || answer === "yes") return;
  throw new UsageError("not confirmed; nothing was deleted", {
    hint: `${command} --yes      # to go ahead without this question`,
  });
}

/** What `revoke` would delete for a provider in the active profile. */
export async function storedFor(
  ctx: AuthsomeContext,
  provider: string,
): Promise<{ connections: string[]; client: boolean }> {
  const snapshot = await ctx.vault.read();
  const connections = (await listConnections(snapshot, ctx.profile, provider))
    .map((c) => c.connectionName).sort();
  return { connections, client: (await findClient(snapshot, ctx.profile, provider)) !== null };
}

/** `all 2 connections`. */
export function allConnections(names: readonly string[]): string {
  return `all ${names.length} connection${names.length === 1 ? "" : "s"}`;
}

/** `(default, work)`: at most five names, then `and N more`. */
export function nameList(names: readonly string[]): string {
  const shown = names.slice(0, 5).join(", ");
  return `(${names.length > 5 ? `${shown} and ${names.length - 5} more` : shown})`;
}

/** A profile for a hint's `--profile` flag: none for the default profile. */
export function nonDefault(profile: string): string | undefined {
  return profile === "default" ? undefined : profile;
}
