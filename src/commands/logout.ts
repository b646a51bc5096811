/**
 * `authsome logout <provider>`: delete one connection.
 *
 * @module
 */
import { logout } from "../auth/logout.ts";
import { authsomeCommand, findConnection, resolveConnectionName } from "../auth/connections.ts";
import { confirmDeletion, nonDefault } from "./confirm.ts";
import { type Invocation, stringFlag } from "./invocation.ts";

/** Runs `logout`. */
export async function run(invocation: Invocation): Promise<number> {
  const { ctx, out, parsed } = invocation;
  const definition = (await ctx.providers()).get(parsed.args[0]);
  const explicit = stringFlag(invocation, "connection");
  await confirmDeletion(
    invocation,
    authsomeCommand("logout", definition.name, {
      connection: explicit,
      profile: nonDefault(ctx.profile),
    }),
    async () => {
      const snapshot = await ctx.vault.read();
      const name = await resolveConnectionName(snapshot, ctx.profile, definition.name, explicit);
      // Nothing stored: logout itself says so.
      if (!(await findConnection(snapshot, ctx.profile, definition.name, name))) return null;
      const inProfile = ctx.profile === "default" ? "" : ` in profile ${ctx.profile}`;
      return `Log out of ${definition.name} (${name})${inProfile} and delete its credentials?`;
    },
  );
  const { revokeRemotely } = await import("../auth/remote_revoke.ts");
  const result = await logout(ctx, definition, {
    connection: explicit,
    revoker: revokeRemotely,
  });
  if (out.json) {
    out.jsonValue({
      status: "logged_out",
      provider: result.provider,
      connection: result.connection,
      remote: result.remote,
    });
  } else {
    out.line(`Logged out of ${result.provider} (${result.connection}).`);
    if (result.remote === "revoked") out.line("The tokens were revoked at the provider.");
    if (result.remote === "failed") {
      out.warn("could not revoke the tokens at the provider; they were deleted locally.");
    }
  }
  return 0;
}
