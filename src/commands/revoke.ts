/**
 * `authsome revoke <provider>`: every connection and the client config.
 *
 * @module
 */
import { revokeProvider } from "../auth/logout.ts";
import type { Invocation } from "./invocation.ts";

/** Runs `revoke`. */
export async function run({ ctx, out, parsed }: Invocation): Promise<number> {
  const definition = (await ctx.providers()).get(parsed.args[0]);
  const result = await revokeProvider(ctx, definition);
  if (out.json) {
    out.jsonValue({
      status: "revoked",
      provider: result.provider,
      connections: result.connections,
      client_removed: result.clientRemoved,
    });
  } else if (result.connections.length === 0 && !result.clientRemoved) {
    out.line(`Nothing stored for ${result.provider}; nothing to revoke.`);
  } else {
    out.line(
      `Revoked all credentials for ${result.provider} ` +
        `(${result.connections.length} connection${result.connections.length === 1 ? "" : "s"}).`,
    );
  }
  return 0;
}
