/**
 * The audit trail of a login, shared by every flow: one `login` entry, `success` or `failure`
 * (with the reason), whatever the flow.
 *
 * @module
 */
import { describeError } from "../errors.ts";
import type { AuthsomeContext } from "./context.ts";

/** Runs `body` and audits the login's outcome; rethrows failures. */
export async function auditedLogin<T>(
  ctx: AuthsomeContext,
  entry: { provider: string; connection: string; flow: string },
  body: () => Promise<T>,
): Promise<T> {
  let result: T;
  try {
    result = await body();
  } catch (error) {
    // The login's own failure is what the user must see: a home that refused the vault write
    // refuses the audit line too, and that second error would hide which file and why.
    await ctx.audit.append({
      event: "login",
      ...entry,
      status: "failure",
      error: describeError(error),
    }).catch(() => {});
    throw error;
  }
  await ctx.audit.append({ event: "login", ...entry, status: "success" });
  return result;
}
