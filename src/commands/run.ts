/**
 * `authsome run [--env] [--provider p]... [--connection c] -- <cmd> [args]`: runs a command with
 * credentials. Its exit code is the child's.
 *
 * `run --grant <name> --provider p [--host h] [--method m] [--ttl 15m] -- <cmd>`: the child
 * gets only a grant minted by the running daemon for its lifetime (see docs/isolation.md); the
 * daemon's proxy injects credentials within the grant's limits, and the grant is revoked when
 * the child exits.
 *
 * @module
 */
import { UsageError } from "../errors.ts";
import { buildChildEnv, collectEnvCredentials } from "../run/env_credentials.ts";
import { insideProxySession } from "../run/proxy_mode.ts";
import { booleanFlag, type Invocation, stringFlag } from "./invocation.ts";

/** Runs `run`. */
export async function run(invocation: Invocation): Promise<number> {
  const { ctx, out, parsed, platform } = invocation;
  const command = parsed.rest;
  if (command.length === 0) {
    throw new UsageError("missing command to run", { hint: "authsome run <command> [args...]" });
  }
  // `--provider a,b` as in `grant create`, and `--provider a --provider b`.
  const providers = ((parsed.flags.provider as string[] | undefined) ?? [])
    .flatMap((value) => value.split(","))
    .map((name) => name.trim())
    .filter(Boolean);
  const connection = stringFlag(invocation, "connection");
  const grant = stringFlag(invocation, "grant");
  const mode = grant !== undefined ? "grant" : booleanFlag(invocation, "env") ? "env" : "proxy";
  let env: Record<string, string>;
  let sources: string[];
  let nested = false;
  let cleanup = () => Promise.resolve();
  if (mode !== "grant") {
    for (const flag of ["host", "method", "ttl"]) {
      const value = parsed.flags[flag];
      if (value !== undefined && !(Array.isArray(value) && value.length === 0)) {
        throw new UsageError(`--${flag} limits a grant: use it with --grant <name>`, {
          hint: `authsome run --grant agent --provider <name> --${flag} ... -- <command>`,
        });
      }
    }
  }
  if (mode === "grant") {
    const { grantSession } = await import("./run_grant.ts");
    const session = await grantSession(invocation, grant!, providers);
    env = session.env;
    sources = session.sources;
    cleanup = () => session.close();
  } else if (mode === "env") {
    const credentials = await collectEnvCredentials(ctx, { providers, connection });
    for (const warning of credentials.warnings) out.warn(warning);
    env = buildChildEnv(platform.envAll(), credentials.variables);
    sources = credentials.sources;
  } else if (insideProxySession(platform.env)) {
    out.note(
      "already inside an authsome run proxy session (AUTHSOME_PROXY_MODE=true); " +
        "the command runs behind that proxy",
    );
    env = buildChildEnv(platform.envAll(), new Map());
    sources = [];
    nested = true;
  } else {
    const { startProxySession } = await import("../run/proxy_session.ts");
    const { isNodeProgram, nodeProxyWarning } = await import("../run/node_child.ts");
    const session = await startProxySession(ctx, { providers, connection });
    for (const warning of session.warnings) out.warn(warning);
    const nodeVersion = isNodeProgram(command)
      ? await platform.programOutput?.([command[0], "--version"], 3000) ?? null
      : null;
    const nodeWarning = nodeProxyWarning(command, nodeVersion);
    if (nodeWarning) out.warn(nodeWarning);
    env = buildChildEnv(platform.envAll(), new Map(), session.env);
    sources = session.sources;
    cleanup = () => session.close();
  }
  if (sources.length === 0 && !nested) {
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
        ...(grant !== undefined ? { grant } : {}),
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
    ...(grant !== undefined ? { grant } : {}),
  });
  return code;
}
