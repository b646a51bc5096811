/**
 * `authsome logout <provider>`: delete one connection.
 *
 * @module
 */
import { logout } from "../auth/logout.ts";
import { type Invocation, stringFlag } from "./invocation.ts";

/** Runs `logout`. */
export async function run(invocation: Invocation): Promise<number> {
  const { ctx, out, parsed } = invocation;
  const definition = (await ctx.providers()).get(parsed.args[0]);
  const result = await logout(ctx, definition, {
    connection: stringFlag(invocation, "connection"),
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
  }
  return 0;
}
