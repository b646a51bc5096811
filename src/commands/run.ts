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
  if (!booleanFlag(invocation, "env")) {
    throw new UsageError("proxy mode is not available in this build yet", {
      hint: `authsome run --env -- ${command.join(" ")}`,
    });
  }
  const providers = (parsed.flags.provider as string[] | undefined) ?? [];
  const credentials = await collectEnvCredentials(ctx, {
    providers,
    connection: stringFlag(invocation, "connection"),
  });
  for (const warning of credentials.warnings) out.warn(warning);
  if (credentials.variables.size === 0) {
    out.warn("no connections to inject; running the command without credentials");
  }
  const env = buildChildEnv(platform.envAll(), credentials.variables);
  const program = command[0].split("/").pop() ?? command[0];
  let code: number;
  try {
    code = await platform.runChild(command, { env });
  } catch (error) {
    if ((error as { notFound?: boolean }).notFound) {
      await ctx.audit.append({
        event: "run",
        status: "failure",
        command: program,
        mode: "env",
        providers: credentials.sources,
        error: "command not found",
      });
      throw new UsageError(`command not found: ${command[0]}`);
    }
    throw error;
  }
  await ctx.audit.append({
    event: "run",
    status: code === 0 ? "success" : "failure",
    command: program,
    mode: "env",
    providers: credentials.sources,
    exit_code: code,
    pid: platform.pid,
  });
  return code;
}
