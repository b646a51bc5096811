/**
 * Collects a secret for a login without ever taking it from argv, in this order: the
 * provider's environment variable; the one-time local browser form (on a desktop, or with
 * `AUTHSOME_SECRET_INPUT=browser`); a masked prompt on the terminal; standard input when piped;
 * and when standard input is not a terminal but empty, the browser form after all (on a
 * desktop, unless `--no-browser`).
 *
 * @module
 */
import type { SecretCollector, SecretRequest } from "../auth/login_api_key.ts";
import { InterruptedError } from "../errors.ts";
import { Secret } from "../model/secret.ts";
import type { Platform } from "../platform/types.ts";
import type { Output } from "./output.ts";
import {
  browserFormWanted,
  collectSecretInBrowser,
  desktopBrowserAvailable,
} from "./secret_form.ts";

/** A collector bound to the real terminal (and browser). */
export function terminalSecretCollector(
  platform: Platform,
  out: Output,
  signal?: AbortSignal,
  options: { browser?: boolean } = {},
): SecretCollector {
  const browser = options.browser ?? true;
  const inBrowser = (request: SecretRequest) =>
    collectSecretInBrowser(
      platform,
      {
        title: `${request.displayName} credentials`,
        label: request.label,
        hint: request.hint,
        docs: request.docs,
      },
      (text) => out.instruct(text),
      signal,
    );
  return async (request: SecretRequest) => {
    if (request.envVar) {
      const fromEnv = platform.env(request.envVar);
      if (fromEnv) {
        out.note(`Using the ${request.label} from $${request.envVar}.`);
        return new Secret(fromEnv);
      }
    }
    if (browser && browserFormWanted(platform)) {
      try {
        return await inBrowser(request);
      } catch (error) {
        if (error instanceof InterruptedError || !platform.terminal.stdinIsTerminal) throw error;
        out.warn(`${error instanceof Error ? error.message : error}; asking here instead.`);
      }
    }
    if (platform.terminal.stdinIsTerminal) {
      if (request.docs) out.note(`Get it at: ${request.docs}`);
      if (request.hint) out.note(request.hint);
      const typed = await platform.terminal.readMasked(
        `${request.displayName} ${request.label}: `,
      );
      return new Secret(typed);
    }
    const piped = (await platform.terminal.readStdin()).replace(/\r?\n$/, "");
    // No terminal and nothing piped (an agent ran the login with stdin closed): a person at
    // this desktop can still type the key into the local form.
    if (piped === "" && browser && desktopBrowserAvailable(platform)) {
      out.note(`No ${request.label} on standard input; asking in the browser instead.`);
      return await inBrowser(request);
    }
    return new Secret(piped);
  };
}
