/**
 * API-key login: collect the key (never from argv), check it against the provider's
 * `key_pattern`, and store it as a connection. An existing healthy connection is kept unless
 * `force` is set.
 *
 * @module
 */
import { AuthenticationError } from "../errors.ts";
import { newApiKeyConnection } from "../model/connection.ts";
import { RUN_PLACEHOLDER } from "../model/run_placeholder.ts";
import { rfc3339 } from "../model/timestamp.ts";
import type { ProviderDefinition } from "../model/provider.ts";
import { Secret } from "../model/secret.ts";
import { fullMatch } from "../providers/regex_safety.ts";
import type { AuthsomeContext } from "./context.ts";
import { loginCommand, saveConnection } from "./connections.ts";
import { auditedLogin } from "./login_audit.ts";
import { findLoginTarget, type LoginTarget } from "./login_target.ts";
import { ensureConfig } from "./setup.ts";

/** Where the collector should look for the key. */
export interface SecretRequest {
  provider: string;
  displayName: string;
  /** What is asked for, e.g. "API key". */
  label: string;
  /** Environment variable that may hold it. */
  envVar?: string;
  /** Format hint shown before the prompt. */
  hint?: string;
  docs?: string;
}

/** Collects a secret from the environment, the terminal or standard input. */
export type SecretCollector = (request: SecretRequest) => Promise<Secret>;

/** Outcome of a login. */
export interface LoginResult {
  status: "success" | "already_connected";
  provider: string;
  connection: string;
  recordStatus: string;
}

function article(word: string): string {
  return /^[aeiou]/i.test(word) ? "an" : "a";
}

/**
 * Checks a collected key; returns the trimmed key. `retry` is the command that tries again, for
 * the hint of a refused key (by default a plain `authsome login <provider>`).
 */
export function checkApiKey(
  definition: ProviderDefinition,
  key: Secret,
  retry = loginCommand(definition.name),
): Secret {
  const trimmed = key.reveal().trim();
  if (trimmed.length === 0) {
    throw new AuthenticationError("API key cannot be empty", { hint: retry });
  }
  // A newline would let `export` inject a variable of its own; no real key has one.
  // deno-lint-ignore no-control-regex -- control characters are exactly what is refused here
  if (/[\u0000-\u001f\u007f]/.test(trimmed)) {
    throw new AuthenticationError(
      "the API key contains control characters (a line break or escape); paste only the key",
      { hint: retry },
    );
  }
  if (trimmed === RUN_PLACEHOLDER) {
    throw new AuthenticationError(
      "this is the placeholder `authsome run` gives its child, not a key: " +
        "you are inside `authsome run`; log in from a shell outside it",
      // Retrying in the same shell would read the same placeholder again.
      { hint: `outside \`authsome run\`: ${retry}` },
    );
  }
  const pattern = definition.api_key?.key_pattern;
  if (pattern && !fullMatch(pattern, trimmed)) {
    const hint = definition.api_key?.key_pattern_hint;
    throw new AuthenticationError(
      `the API key does not look like ${
        article(definition.display_name)
      } ${definition.display_name} key` +
        (hint ? `: ${hint}` : ` (expected pattern ${pattern})`),
      { hint: retry },
    );
  }
  return new Secret(trimmed);
}

/**
 * The `login` command that tries this login again: `--connection` when the caller named one,
 * `--profile` unless the profile is the default one and no `AUTHSOME_PROFILE` could pick another,
 * and `--force` when the login replaces a stored connection.
 */
function retryCommand(
  ctx: AuthsomeContext,
  provider: string,
  connection: string | undefined,
  replacing: boolean,
): string {
  const envProfile = ctx.platform.env("AUTHSOME_PROFILE");
  const profileFlag = ctx.profile !== "default" || (envProfile && envProfile !== ctx.profile);
  return loginCommand(provider, {
    connection,
    profile: profileFlag ? ctx.profile : undefined,
    force: replacing,
  });
}

/** Runs an API-key login. */
export async function loginWithApiKey(
  ctx: AuthsomeContext,
  definition: ProviderDefinition,
  options: { connection?: string; force: boolean; target?: LoginTarget },
  collect: SecretCollector,
): Promise<LoginResult> {
  const provider = definition.name;
  const { name, existing } = options.target ??
    await findLoginTarget(ctx, provider, options.connection);
  if (existing && existing.status === "connected" && !options.force) {
    return { status: "already_connected", provider, connection: name, recordStatus: "connected" };
  }
  await auditedLogin(ctx, { provider, connection: name, flow: "api_key" }, async () => {
    const key = checkApiKey(
      definition,
      await collect({
        provider,
        displayName: definition.display_name,
        label: "API key",
        envVar: definition.api_key?.env_var ?? undefined,
        hint: definition.api_key?.key_pattern_hint ?? undefined,
        docs: definition.docs ?? undefined,
      }),
      retryCommand(ctx, provider, options.connection, existing?.status === "connected"),
    );
    const connection = newApiKeyConnection(
      { profile: ctx.profile, provider, connectionName: name, apiKey: key },
      rfc3339(ctx.platform.clock.now()),
      definition.host_url ?? null,
    );
    await ctx.vault.update((tx) => saveConnection(tx, connection));
    await ensureConfig(ctx);
    ctx.log.debug("api key stored", { provider, connection: name, profile: ctx.profile });
  });
  return { status: "success", provider, connection: name, recordStatus: "connected" };
}
