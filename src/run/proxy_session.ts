/**
 * Everything `run` sets up in proxy mode: the routing table of the selected connections, the
 * local CA and its CA bundle files, the proxy, and the child's environment (proxy variables,
 * CA bundle variables, and each provider's `export.env` names set to a placeholder so SDKs
 * start). The child never sees a secret.
 *
 * @module
 */
import type { AuthsomeContext } from "../auth/context.ts";
import { registerSecretValue } from "../model/secret.ts";
import { findConnection } from "../auth/connections.ts";
import { CredentialHeaders } from "./credential_headers.ts";
import { prepareInterception } from "./interception.ts";
import { startProxy } from "./proxy.ts";
import type { RouteEntry } from "./routing.ts";
import { childProxyEnv, routedConnection } from "./proxy_parts.ts";
import { selectConnections } from "./selection.ts";

/** A running proxy session. */
export interface ProxySession {
  /** Variables to add to the child's environment. */
  env: Record<string, string>;
  /** `provider/connection` of every routed connection. */
  sources: string[];
  warnings: string[];
  close(): Promise<void>;
}

export { effectiveHostUrl } from "./proxy_parts.ts";

/** Starts the proxy for the selected providers (default: every provider with a connection). */
export async function startProxySession(
  ctx: AuthsomeContext,
  options: { providers: string[]; connection?: string },
): Promise<ProxySession> {
  const snapshot = await ctx.vault.read();
  const entries: RouteEntry[] = [];
  const env: Record<string, string> = {};
  const sources: string[] = [];
  const warnings: string[] = [];
  const credentials = new CredentialHeaders(ctx);
  for (const { definition, connection: name } of await selectConnections(ctx, options)) {
    // Like `--env`: a missing, empty or invalid connection fails now (exit 5 or 6), rather
    // than running the child with a placeholder that gets it nowhere.
    await credentials.header(definition.name, name);
    const stored = await findConnection(snapshot, ctx.profile, definition.name, name);
    const routed = routedConnection(definition, name, stored, warnings);
    if (!routed) continue;
    entries.push(routed.entry);
    Object.assign(env, routed.placeholders);
    sources.push(`${definition.name}/${name}`);
  }
  const { table, upstream, ca, interceptor } = await prepareInterception(
    ctx,
    entries,
    credentials,
    warnings,
  );
  // Per-run proxy credentials: only this child (and its children) can use the proxy.
  const password = ctx.platform.randomBytes(16).toHex();
  registerSecretValue(password);
  const proxy = startProxy(ctx.platform, {
    table,
    interceptor,
    log: ctx.log,
    credentials: `authsome:${password}`,
    upstreamProxy: upstream.proxy,
  });
  const child = await childProxyEnv(ctx.platform, {
    proxyUrl: `http://authsome:${password}@127.0.0.1:${proxy.port}`,
    caCertificatePem: ca.certificatePem,
    parentCas: upstream.parentCas,
  });
  Object.assign(env, child.env);
  return {
    env,
    sources,
    warnings,
    async close() {
      await proxy.close();
      await child.close();
    },
  };
}
