/**
 * `authsome run [--env] [--provider p]... [--connection c] -- <cmd> [args]`: runs a command with
 * credentials. Its exit code is the child's.
 *
 * @module
 */
import { UsageError } from "../errors.ts";
import { buildChildEnv, collectEnvCredentials } from "../run/env_credentials.ts";
import { booleanFlag, type Invocation, stringFlag } from "./invocation.ts";

/** Runs `run`. */
export async function run(invocation: Invocation): Promise<number> {
  const { ctx, out, parsed, platform } = invocation;
  const command = parsed.rest;
  if (command.length === 0) {
    throw new UsageError("missing command after --", { hint: "authsome run --env -- <command>" });
  }
  const providers = (parsed.flags.provider as string[] | undefined) ?? [];
  const connection = stringFlag(invocation, "connection");
  const mode = booleanFlag(invocation, "env") ? "env" : "proxy";
  let env: Record<string, string>;
  let sources: string[];
  let cleanup = () => Promise.resolve();
  if (mode === "env") {
    const credentials = await collectEnvCredentials(ctx, { providers, connection });
    for (const warning of credentials.warnings) out.warn(warning);
    env = buildChildEnv(platform.envAll(), credentials.variables);
    sources = credentials.sources;
  } else {
    const { startProxySession } = await import("../run/proxy_session.ts");
    const { nodeProxyWarning } = await import("../run/node_child.ts");
    const session = await startProxySession(ctx, { providers, connection });
    for (const warning of session.warnings) out.warn(warning);
    const nodeWarning = nodeProxyWarning(command);
    if (nodeWarning) out.warn(nodeWarning);
    env = buildChildEnv(platform.envAll(), new Map(), session.env);
    sources = session.sources;
    cleanup = () => session.close();
  }
  if (sources.length === 0) {
    out.warn("no connections to inject; running the command without credentials");
  }
  const program = command[0].split("/").pop() ?? command[0];
  let code: number;
  try {
    code = await platform.runChild(command, { env });
  } catch (error) {
    await cleanup();
    if ((error as { notFound?: boolean }).notFound) {
      await ctx.audit.append({
        event: "run",
        status: "failure",
        command: program,
        mode,
        providers: sources,
        error: "command not found",
      });
      throw new UsageError(`command not found: ${command[0]}`);
    }
    throw error;
  }
  await cleanup();
  await ctx.audit.append({
    event: "run",
    status: code === 0 ? "success" : "failure",
    command: program,
    mode,
    providers: sources,
    exit_code: code,
    pid: platform.pid,
  });
  return code;
}
