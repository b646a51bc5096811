/**
 * `authsome login <provider>`.
 *
 * @module
 */
import { loginWithApiKey } from "../auth/login_api_key.ts";
import { AuthenticationError, UsageError } from "../errors.ts";
import { booleanFlag, type Invocation, stringFlag } from "./invocation.ts";
import { terminalSecretCollector } from "./secret_input.ts";

/** Runs `login`. */
export async function run(invocation: Invocation): Promise<number> {
  const { ctx, out, parsed, platform } = invocation;
  const definition = (await ctx.providers()).get(parsed.args[0]);
  const flow = stringFlag(invocation, "flow") ?? definition.flow;
  const force = booleanFlag(invocation, "force");
  if ((flow === "api_key") !== (definition.auth_type === "api_key")) {
    throw new UsageError(
      `${definition.name} is an ${definition.auth_type} provider; flow "${flow}" does not apply`,
      { hint: `authsome login ${definition.name}` },
    );
  }
  if (definition.auth_type !== "api_key") {
    throw new AuthenticationError(
      `OAuth2 login (${flow}) is not available in this build of authsome yet`,
      { hint: "Use an API-key provider, or a build with OAuth2 support" },
    );
  }
  for (const flag of ["scopes", "base-url"]) {
    if (stringFlag(invocation, flag) !== undefined) {
      throw new UsageError(`--${flag} applies only to OAuth2 providers`);
    }
  }
  out.note(`Starting login for ${definition.name}...`);
  if (force) out.warn("Forcing login will overwrite any existing connection.");
  const result = await loginWithApiKey(
    ctx,
    definition,
    { connection: stringFlag(invocation, "connection"), force },
    terminalSecretCollector(platform, out),
  );
  if (out.json) {
    out.jsonValue({
      status: result.status,
      provider: result.provider,
      connection: result.connection,
      record_status: result.recordStatus,
    });
  } else if (result.status === "already_connected") {
    out.line(`Already logged in to ${result.provider} (${result.connection}).`);
    out.line(`To replace the credential: authsome login ${result.provider} --force`);
  } else {
    out.line(`Successfully logged in to ${result.provider} (${result.connection}).`);
  }
  return 0;
}
