/**
 * `authsome export [provider]`: credentials as `KEY=value` lines, shell `export` statements, or
 * a JSON object. Refresh tokens are never exported.
 *
 * @module
 */
import { buildExport, shellQuote } from "../auth/export.ts";
import { daemonExport } from "../daemon/client.ts";
import { type Invocation, stringFlag } from "./invocation.ts";

/** Runs `export`. */
export async function run(invocation: Invocation): Promise<number> {
  const { ctx, out, parsed } = invocation;
  const provider = parsed.args[0];
  const format = out.json ? "json" : stringFlag(invocation, "format") ?? "env";
  if (provider !== undefined) (await ctx.providers()).get(provider);
  const options = {
    connection: stringFlag(invocation, "connection"),
    format,
    onWarning: (message: string) => out.warn(message),
  };
  // A running daemon builds (and audits) the variables; otherwise read the vault here.
  const entries = await daemonExport(ctx, provider, options) ??
    await buildExport(ctx, provider, options);
  if (format === "json") {
    const object: Record<string, string> = {};
    for (const entry of entries) object[entry.name] = entry.value.reveal();
    out.jsonValue(object);
  } else if (format === "shell") {
    out.data(entries.map((e) => `export ${e.name}=${shellQuote(e.value.reveal())}\n`).join(""));
  } else {
    out.data(entries.map((e) => `${e.name}=${e.value.reveal()}\n`).join(""));
  }
  if (entries.length === 0) {
    out.note("No connections to export. Log in first: authsome login <provider>");
  }
  return 0;
}
