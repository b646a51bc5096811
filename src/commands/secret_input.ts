/**
 * Collects a secret for a login without ever taking it from argv, in this order: the
 * provider's environment variable; the one-time local browser form (on a desktop, or with
 * `AUTHSOME_SECRET_INPUT=browser`); a masked prompt on the terminal; standard input when piped.
 *
 * @module
 */
import type { SecretCollector, SecretRequest } from "../auth/login_api_key.ts";
import { InterruptedError } from "../errors.ts";
import { Secret } from "../model/secret.ts";
import type { Platform } from "../platform/types.ts";
import type { Output } from "./output.ts";
import { browserFormWanted, collectSecretInBrowser } from "./secret_form.ts";

/** A collector bound to the real terminal (and browser). */
export function terminalSecretCollector(
  platform: Platform,
  out: Output,
  signal?: AbortSignal,
): SecretCollector {
  return async (request: SecretRequest) => {
    if (request.envVar) {
      const fromEnv = platform.env(request.envVar);
      if (fromEnv) {
        out.note(`Using the ${request.label} from $${request.envVar}.`);
        return new Secret(fromEnv);
      }
    }
    if (browserFormWanted(platform)) {
      try {
        return await collectSecretInBrowser(
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
    const piped = await platform.terminal.readStdin();
    return new Secret(piped.replace(/\r?\n$/, ""));
  };
}
