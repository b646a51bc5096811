/**
 * The passphrase of a home in key mode `daemon` (docs/isolation.md): from `AUTHSOME_PASSPHRASE`
 * (tests and CI; a same-user process can read a process's environment, so interactive users
 * type it), else a masked prompt on the terminal, else (only where the caller allows it,
 * `daemon serve` fed by `daemon start`) one line of standard input.
 *
 * @module
 */
import type { AuthsomeContext } from "../auth/context.ts";
import { UsageError } from "../errors.ts";
import { registerSecretValue } from "../model/secret.ts";
import type { Platform } from "../platform/types.ts";
import { isDaemonKeyMode, keyFromPassphrase, unlockProof } from "../vault/key_source.ts";

/** Reads the passphrase; `confirm` asks twice (a new vault). */
export async function readPassphrase(
  platform: Platform,
  home: string,
  options: { confirm?: boolean; stdin?: boolean; hint?: string } = {},
): Promise<string> {
  let passphrase = platform.env("AUTHSOME_PASSPHRASE");
  if (!passphrase && platform.terminal.stdinIsTerminal) {
    passphrase = await platform.terminal.readMasked(`Passphrase for ${home}: `);
    if (passphrase && options.confirm) {
      const again = await platform.terminal.readMasked("Type it again: ");
      if (again !== passphrase) throw new UsageError("the two passphrases differ; nothing changed");
    }
  } else if (!passphrase && options.stdin) {
    passphrase = (await platform.terminal.readStdin()).replace(/\r?\n$/, "");
  }
  if (!passphrase) {
    throw new UsageError("the vault passphrase is needed: type it at a terminal", {
      hint: options.hint ?? "authsome daemon unlock   # run it in a terminal",
    });
  }
  registerSecretValue(passphrase);
  return passphrase;
}

/** The platform as the daemon's vault sees it: the passphrase in memory, not in the env. */
export function withPassphrase(platform: Platform, passphrase: string): Platform {
  return {
    ...platform,
    env: (name) => name === "AUTHSOME_PASSPHRASE" ? passphrase : platform.env(name),
  };
}

/**
 * The unlock proof (base64) for minting grants in key mode `daemon`, from the passphrase; in
 * other key modes undefined (the daemon's bearer token is enough there).
 */
export async function proofIfNeeded(ctx: AuthsomeContext): Promise<string | undefined> {
  if (!(await isDaemonKeyMode(ctx.platform, ctx.paths))) return undefined;
  const passphrase = await readPassphrase(ctx.platform, ctx.paths.home, {
    // Scripts without a terminal use a grant created once, at a terminal.
    hint: "export AUTHSOME_GRANT_TOKEN=$(authsome grant create <name> --provider <p> --json " +
      "| jq -r .token)   # at a terminal; then run --grant <name> needs no passphrase",
  });
  const rawKey = await keyFromPassphrase(ctx.platform, ctx.paths, passphrase);
  return (await unlockProof(rawKey)).toBase64();
}
