/**
 * Collects a secret for a login without ever taking it from argv: the provider's environment
 * variable, else a masked prompt on the terminal, else standard input when it is piped.
 *
 * @module
 */
import type { SecretCollector, SecretRequest } from "../auth/login_api_key.ts";
import { Secret } from "../model/secret.ts";
import type { Platform } from "../platform/types.ts";
import type { Output } from "./output.ts";

/** A collector bound to the real terminal. */
export function terminalSecretCollector(platform: Platform, out: Output): SecretCollector {
  return async (request: SecretRequest) => {
    if (request.envVar) {
      const fromEnv = platform.env(request.envVar);
      if (fromEnv) {
        out.note(`Using the ${request.label} from $${request.envVar}.`);
        return new Secret(fromEnv);
      }
    }
    if (platform.terminal.stdinIsTerminal) {
      if (request.docs) out.note(`Get a key at: ${request.docs}`);
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
