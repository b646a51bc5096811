/**
 * `authsome revoke <provider>`: every connection and the client config.
 *
 * @module
 */
import { authsomeCommand } from "../auth/connections.ts";
import { revokeProvider } from "../auth/logout.ts";
import { allConnections, confirmDeletion, nameList, nonDefault, storedFor } from "./confirm.ts";
import type { Invocation } from "./invocation.ts";

/** Runs `revoke`. */
export async function run(invocation: Invocation): Promise<number> {
  const { ctx, out, parsed } = invocation;
  const definition = (await ctx.providers()).get(parsed.args[0]);
  await confirmDeletion(
    invocation,
    authsomeCommand("revoke", definition.name, { profile: nonDefault(ctx.profile) }),
    () => revokeQuestion(invocation, definition.name),
  );
  const { revokeRemotely } = await import("../auth/remote_revoke.ts");
  const result = await revokeProvider(ctx, definition, { revoker: revokeRemotely });
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
    const failed = result.connections.filter((c) => c.remote === "failed").length;
    if (result.connections.some((c) => c.remote === "revoked")) {
      out.line("Tokens were revoked at the provider.");
    }
    if (failed > 0) {
      out.warn(`could not revoke ${failed} connection(s) at the provider; deleted locally.`);
    }
  }
  return 0;
}

/**
 * `Revoke all 2 connections of github (default, work)?`, or null when nothing is stored (then
 * there is nothing to lose and nothing to ask).
 */
async function revokeQuestion({ ctx }: Invocation, provider: string): Promise<string | null> {
  const stored = await storedFor(ctx, provider);
  const inProfile = ctx.profile === "default" ? "" : ` in profile ${ctx.profile}`;
  if (stored.connections.length > 0) {
    const names = stored.connections;
    return `Revoke ${allConnections(names)} of ${provider} ${nameList(names)}${inProfile}?`;
  }
  if (stored.client) return `Revoke the stored OAuth client of ${provider}${inProfile}?`;
  return null;
}
