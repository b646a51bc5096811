/**
 * `authsome grant create|list|revoke`: the daemon's grants (docs/isolation.md).
 *
 * Exit codes: 0 done; 2 bad flags; 5 `revoke` of a grant that does not exist; 7 wrong
 * passphrase; 9 no daemon running (hint `authsome daemon unlock`).
 *
 * @module
 */
import { listGrants, mintGrant, requireDaemon, revokeGrant } from "../daemon/grant_client.ts";
import { ExitCode, UsageError } from "../errors.ts";
import { checkGrantName, DEFAULT_GRANT_TTL, parseGrantSpec } from "../grants/spec.ts";
import { type Invocation, stringFlag } from "./invocation.ts";
import { proofIfNeeded } from "./passphrase.ts";

/** Runs `grant <sub-command>`. */
export async function run(invocation: Invocation): Promise<number> {
  switch (invocation.parsed.path[1]) {
    case "create":
      return await create(invocation);
    case "list":
      return await list(invocation);
    case "revoke":
      return await revoke(invocation);
  }
  throw new UsageError(`unknown grant command "${invocation.parsed.path[1]}"`, {
    hint: "authsome grant --help",
  });
}

async function create(invocation: Invocation): Promise<number> {
  const { ctx, out, parsed } = invocation;
  const ttl = stringFlag(invocation, "ttl") ?? DEFAULT_GRANT_TTL;
  const spec = parseGrantSpec({
    name: parsed.args[0],
    providers: parsed.flags.provider as string[] | undefined,
    hosts: parsed.flags.host as string[] | undefined,
    methods: parsed.flags.method as string[] | undefined,
    ttl,
  });
  await requireDaemon(ctx);
  const minted = await mintGrant(ctx, {
    name: spec.name,
    providers: spec.providers,
    hosts: spec.hosts,
    methods: spec.methods,
    ttl,
  }, await proofIfNeeded(ctx));
  for (const warning of minted.warnings) out.warn(warning);
  const proxy = `http://${minted.name}:${minted.token}@127.0.0.1:${minted.proxy_port}`;
  if (out.json) {
    out.jsonValue({
      schema_version: 1,
      name: minted.name,
      token: minted.token,
      expires_at: minted.expires_at,
      proxy_url: proxy,
      ca_certificate_pem: minted.ca_certificate_pem,
      providers: minted.providers,
      hosts: minted.hosts,
      methods: minted.methods,
      sources: minted.sources,
    });
    return ExitCode.ok;
  }
  out.line(`grant ${minted.name} created; it expires at ${minted.expires_at}
  providers: ${minted.providers.join(", ")}
  hosts:     ${minted.hosts.length ? minted.hosts.join(", ") : "the providers' API hosts"}
  methods:   ${minted.methods.length ? minted.methods.join(", ") : "any"}
  token:     ${minted.token}
  proxy:     ${proxy}`);
  out.note("The token is shown only now (--json also gives the proxy's CA certificate).");
  return ExitCode.ok;
}

async function list(invocation: Invocation): Promise<number> {
  const { ctx, out } = invocation;
  const grants = await listGrants(ctx);
  if (out.json) {
    out.jsonValue({ schema_version: 1, grants });
    return ExitCode.ok;
  }
  if (grants.length === 0) {
    out.line("no grants");
    return ExitCode.ok;
  }
  for (const g of grants) {
    const limits = [
      g.hosts.length ? `hosts ${g.hosts.join(",")}` : "",
      g.methods.length ? `methods ${g.methods.join(",")}` : "",
    ].filter(Boolean).join("; ");
    out.line(
      `${g.name}  ${g.providers.join(",")}${limits ? `  (${limits})` : ""}  ` +
        `${g.expired ? "expired" : "expires"} ${g.expires_at}`,
    );
  }
  return ExitCode.ok;
}

async function revoke(invocation: Invocation): Promise<number> {
  const { ctx, out, parsed } = invocation;
  const name = checkGrantName(parsed.args[0]);
  await revokeGrant(ctx, name);
  if (out.json) out.jsonValue({ schema_version: 1, name, revoked: true });
  else out.line(`grant ${name} revoked`);
  return ExitCode.ok;
}
