/**
 * What every intercepting proxy (`run`'s, and a grant's inside the daemon) builds from its
 * routed connections before it listens: the routing table, the environment's upstream trust,
 * the local CA, and the interceptor that injects credentials.
 *
 * @module
 */
import type { AuthsomeContext } from "../auth/context.ts";
import { loadOrCreateCa } from "./ca_store.ts";
import { type CredentialLookup, Interceptor } from "./interceptor.ts";
import { type UpstreamTrust, upstreamTrust } from "./proxy_parts.ts";
import { buildRoutes, type RouteEntry, type RouteTable } from "./routing.ts";
import { type CertificateAuthority, LeafCache } from "./x509.ts";

/** The parts a proxy is started with. */
export interface Interception {
  table: RouteTable;
  upstream: UpstreamTrust;
  ca: CertificateAuthority;
  interceptor: Interceptor;
}

/** Builds the interception for `entries`; routing and environment problems become warnings. */
export async function prepareInterception(
  ctx: AuthsomeContext,
  entries: RouteEntry[],
  credentials: CredentialLookup,
  warnings: string[],
): Promise<Interception> {
  const table = buildRoutes(entries);
  for (const problem of table.problems) {
    warnings.push(`${problem.provider}: ${problem.value}: ${problem.reason}`);
  }
  // The environment (the daemon's, for a grant) says which extra CAs and proxy reach the hosts.
  const upstream = await upstreamTrust(ctx.platform, warnings);
  const ca = await loadOrCreateCa(ctx);
  const interceptor = new Interceptor(ctx.platform, {
    leaves: new LeafCache(ca, { now: () => new Date(ctx.platform.clock.now()) }),
    table,
    credentials,
    log: ctx.log,
    caCerts: upstream.caCerts,
    upstreamProxy: upstream.proxy,
  });
  return { table, upstream, ca, interceptor };
}
