/**
 * `run --grant <name>` (docs/isolation.md): the child's environment from a grant. Either a
 * grant minted now for this child (`--provider`, `--host`, `--method`, `--ttl`; the passphrase
 * is asked in key mode `daemon`; revoked when the child exits), or, with `AUTHSOME_GRANT_TOKEN`
 * set, the existing grant of that token (`grant create`; no passphrase; it outlives the child).
 *
 * @module
 */
import { requireDaemon } from "../daemon/grant_client.ts";
import { type GrantRun, joinGrantRun, startGrantRun } from "../daemon/grant_run.ts";
import { UsageError } from "../errors.ts";
import { checkGrantName, DEFAULT_GRANT_TTL, parseGrantSpec } from "../grants/spec.ts";
import { buildChildEnv } from "../run/env_credentials.ts";
import { isDaemonKeyMode } from "../vault/key_source.ts";
import { booleanFlag, type Invocation, stringFlag } from "./invocation.ts";
import { proofIfNeeded } from "./passphrase.ts";

/** The child's whole environment, the routed connections, and what to do when it exits. */
export async function grantSession(
  invocation: Invocation,
  name: string,
  providers: string[],
): Promise<{ env: Record<string, string>; sources: string[]; close(): Promise<void> }> {
  const { ctx, out, parsed, platform } = invocation;
  if (booleanFlag(invocation, "env")) {
    throw new UsageError("--grant and --env exclude each other: a grant never hands out tokens");
  }
  if (stringFlag(invocation, "connection") !== undefined) {
    throw new UsageError(
      "--connection does not apply to --grant: a grant uses each provider's " +
        "default connection",
      { hint: `authsome run --grant ${name} --provider <name> -- <command>` },
    );
  }
  // Before asking for the passphrase: without a daemon there is nothing to ask it for.
  await requireDaemon(ctx);
  const existingToken = platform.env("AUTHSOME_GRANT_TOKEN");
  let session: GrantRun;
  if (existingToken) {
    const given = ["provider", "host", "method", "ttl"].find((flag) => {
      const value = parsed.flags[flag];
      return value !== undefined && !(Array.isArray(value) && value.length === 0);
    });
    if (given) {
      throw new UsageError(
        `--${given} cannot change an existing grant (AUTHSOME_GRANT_TOKEN is set)`,
        { hint: `authsome run --grant ${name} -- <command>` },
      );
    }
    session = await joinGrantRun(ctx, checkGrantName(name), existingToken);
  } else {
    const ttl = stringFlag(invocation, "ttl") ?? DEFAULT_GRANT_TTL;
    const spec = parseGrantSpec({
      name,
      providers,
      hosts: parsed.flags.host as string[] | undefined,
      methods: parsed.flags.method as string[] | undefined,
      ttl,
    });
    if (!(await isDaemonKeyMode(platform, ctx.paths))) {
      out.warn(
        "this home keeps its vault key on disk, where the child can read it; for isolation " +
          "use a home in key mode daemon (authsome daemon unlock, see docs/isolation.md)",
      );
    }
    session = await startGrantRun(ctx, { ...spec, ttl }, await proofIfNeeded(ctx));
  }
  for (const warning of session.warnings) out.warn(warning);
  const env = buildChildEnv(platform.envAll(), new Map(), session.env);
  // The child holds its grant in HTTPS_PROXY already; nothing else of ours.
  delete env.AUTHSOME_GRANT_TOKEN;
  return { env, sources: session.sources, close: () => session.close() };
}
