/**
 * A grant's proxy, run inside the daemon (which holds the vault key): the same intercepting
 * proxy as `run`, but routing only the grant's providers, accepting only the grant's token
 * (`Proxy-Authorization: Basic base64(<grant name>:<token>)`), and checking every request
 * against the grant (still live, provider, host, method) before it injects a credential.
 * Every injection and every refusal is audited with `grant: <name>`.
 *
 * @module
 */
import type { AuthsomeContext } from "../auth/context.ts";
import type { AuthHeader } from "../auth/headers.ts";
import { findConnection, loginCommand } from "../auth/connections.ts";
import { CredentialMissingError } from "../errors.ts";
import { CredentialHeaders } from "../run/credential_headers.ts";
import type { CredentialLookup, CredentialRequest } from "../run/interceptor.ts";
import { prepareInterception } from "../run/interception.ts";
import { startProxy } from "../run/proxy.ts";
import { routedConnection } from "../run/proxy_parts.ts";
import type { RouteEntry } from "../run/routing.ts";
import { selectConnections } from "../run/selection.ts";
import { GrantDeniedError, type GrantRegistry } from "./registry.ts";
import { RefusalAudit } from "./refusal_audit.ts";

/** What the child of `run --grant` needs to use a grant's proxy. */
export interface GrantProxy {
  port: number;
  /** The authsome CA the child must trust (public). */
  caCertificatePem: string;
  /** Each provider's `export.env` name set to the placeholder, so SDKs start. */
  placeholders: Record<string, string>;
  /** `provider/connection` of every routed connection. */
  sources: string[];
  warnings: string[];
}

/** The credential lookup of a grant: checks the grant on every request, audits every use. */
class GrantCredentials implements CredentialLookup {
  readonly #ctx: AuthsomeContext;
  readonly #grants: GrantRegistry;
  readonly #name: string;
  readonly #inner: CredentialHeaders;
  readonly #refusals = new RefusalAudit();

  constructor(ctx: AuthsomeContext, grants: GrantRegistry, name: string) {
    this.#ctx = ctx;
    this.#grants = grants;
    this.#name = name;
    this.#inner = new CredentialHeaders(ctx);
  }

  live(): boolean {
    try {
      this.#grants.live(this.#name);
      return true;
    } catch {
      return false;
    }
  }

  async header(
    provider: string,
    connection: string,
    request?: CredentialRequest,
  ): Promise<AuthHeader> {
    const entry = {
      event: "grant_use" as const,
      grant: this.#name,
      via: "proxy",
      provider,
      connection,
      method: request?.method,
      host: request?.host,
    };
    try {
      this.#grants.check(this.#name, {
        provider,
        host: request?.host,
        port: request?.port,
        method: request?.method,
        methodOverrides: request?.methodOverrides,
      });
    } catch (error) {
      const admitted = error instanceof GrantDeniedError
        ? this.#refusals.admit(this.#name, this.#ctx.platform.clock.now())
        : null;
      if (admitted) {
        await this.#ctx.audit.append({
          ...entry,
          status: "failure",
          error: (error as Error).message,
          ...(admitted.suppressed > 0 ? { suppressed: admitted.suppressed } : {}),
        });
      }
      throw error;
    }
    const header = await this.#inner.header(provider, connection);
    await this.#ctx.audit.append({ ...entry, status: "success" });
    return header;
  }
}

/**
 * Starts the proxy of the grant `name` (already in `grants`) for the token just minted; it is
 * closed when the grant ends.
 */
export async function startGrantProxy(
  ctx: AuthsomeContext,
  grants: GrantRegistry,
  name: string,
  token: string,
): Promise<GrantProxy> {
  const grant = grants.list().find((g) => g.name === name)!;
  const snapshot = await ctx.vault.read();
  const entries: RouteEntry[] = [];
  const placeholders: Record<string, string> = {};
  const sources: string[] = [];
  const warnings: string[] = [];
  for (
    const { definition, connection } of await selectConnections(ctx, {
      providers: grant.providers,
    })
  ) {
    const provider = definition.name;
    const stored = await findConnection(snapshot, ctx.profile, provider, connection);
    if (!stored) {
      throw new CredentialMissingError(`${provider} has no connection "${connection}" to grant`, {
        hint: loginCommand(provider, {}),
      });
    }
    const routed = routedConnection(definition, connection, stored, warnings);
    if (!routed) continue;
    entries.push(routed.entry);
    Object.assign(placeholders, routed.placeholders);
    sources.push(`${provider}/${connection}`);
  }
  const { table, upstream, ca, interceptor } = await prepareInterception(
    ctx,
    entries,
    new GrantCredentials(ctx, grants, name),
    warnings,
  );
  const proxy = startProxy(ctx.platform, {
    table,
    interceptor,
    log: ctx.log,
    credentials: `${name}:${token}`,
    upstreamProxy: upstream.proxy,
  });
  grants.onEnd(name, () => proxy.close());
  return { port: proxy.port, caCertificatePem: ca.certificatePem, placeholders, sources, warnings };
}
