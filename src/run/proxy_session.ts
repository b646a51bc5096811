/**
 * Everything `run` sets up in proxy mode: the routing table of the selected connections, the
 * local CA and its CA bundle files, the proxy, and the child's environment (proxy variables,
 * CA bundle variables, and each provider's `export.env` names set to a placeholder so SDKs
 * start). The child never sees a secret.
 *
 * @module
 */
import type { AuthsomeContext } from "../auth/context.ts";
import type { ProviderDefinition } from "../model/provider.ts";
import { RUN_PLACEHOLDER } from "../model/run_placeholder.ts";
import { registerSecretValue } from "../model/secret.ts";
import { findConnection } from "../auth/connections.ts";
import { hostPatternProblem } from "../providers/regex_safety.ts";
import { envVarNames, resolveTemplate } from "../providers/registry.ts";
import { readParentCas, readSystemRoots } from "./ca_bundle.ts";
import { loadOrCreateCa } from "./ca_store.ts";
import { CredentialHeaders } from "./credential_headers.ts";
import { Interceptor } from "./interceptor.ts";
import { startProxy } from "./proxy.ts";
import { buildRoutes, type RouteEntry } from "./routing.ts";
import { selectConnections } from "./selection.ts";
import { parentProxy } from "./upstream_proxy.ts";
import { LeafCache } from "./x509.ts";

/** A running proxy session. */
export interface ProxySession {
  /** Variables to add to the child's environment. */
  env: Record<string, string>;
  /** `provider/connection` of every routed connection. */
  sources: string[];
  warnings: string[];
  close(): Promise<void>;
}

function oauthUrls(definition: ProviderDefinition, baseUrl: string | null) {
  const oauth: Record<string, unknown> = { ...definition.oauth };
  const urls: string[] = [];
  for (
    const key of [
      "authorization_url",
      "token_url",
      "revocation_url",
      "device_authorization_url",
      "registration_endpoint",
    ]
  ) {
    const value = oauth[key];
    if (typeof value !== "string") continue;
    try {
      urls.push(resolveTemplate(value, baseUrl));
    } catch {
      // A template without a base URL cannot be excluded precisely; routing reports it.
    }
  }
  return urls;
}

function unsafeHostUrl(hostUrl: string): boolean {
  return hostUrl.startsWith("regex:") &&
    hostPatternProblem(hostUrl.slice("regex:".length), true) !== null;
}

/**
 * The host pattern to route a connection by. A connection stores its provider's `host_url` at
 * login, and custom files written before patterns had to be safe still load: a pattern that can
 * match other hosts (`regex:.*googleapis.*` matches `googleapis.evil.test`) is never used; the
 * definition's current pattern replaces a stored one when it is safe.
 */
export function effectiveHostUrl(
  stored: string | null | undefined,
  definition: string | null,
): { hostUrl: string | null; replaced?: string } {
  const candidate = stored ?? definition;
  if (!candidate || !unsafeHostUrl(candidate)) return { hostUrl: candidate };
  const fallback = definition && definition !== candidate && !unsafeHostUrl(definition)
    ? definition
    : null;
  return { hostUrl: fallback, replaced: candidate };
}

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
    const provider = definition.name;
    // Like `--env`: a missing, empty or invalid connection fails now (exit 5 or 6), rather
    // than running the child with a placeholder that gets it nowhere.
    await credentials.header(provider, name);
    const stored = await findConnection(snapshot, ctx.profile, provider, name);
    const { hostUrl, replaced } = effectiveHostUrl(stored?.hostUrl, definition.host_url);
    if (replaced) {
      warnings.push(
        `${provider}/${name}: ignoring the host pattern ${replaced}, which can match other ` +
          "hosts" +
          (hostUrl ? `; using ${hostUrl}` : ""),
      );
    }
    if (!hostUrl) {
      if (!replaced) {
        warnings.push(`${provider} has no host_url; its requests cannot be given credentials`);
      }
      continue;
    }
    const baseUrl = stored?.baseUrl ?? definition.oauth?.base_url ?? null;
    entries.push({
      provider,
      connection: name,
      hostUrl,
      excludedUrls: oauthUrls(definition, baseUrl),
    });
    const names = envVarNames(definition);
    env[definition.auth_type === "api_key" ? names.api_key : names.access_token] = RUN_PLACEHOLDER;
    sources.push(`${provider}/${name}`);
  }
  const table = buildRoutes(entries);
  for (const problem of table.problems) {
    warnings.push(`${problem.provider}: ${problem.value}: ${problem.reason}`);
  }
  const parentCas = await readParentCas(ctx.platform);
  for (const file of parentCas.unreadable) {
    warnings.push(`cannot read CA certificates from ${file}; the child will not trust them`);
  }
  const upstreamProxy = parentProxy(ctx.platform);
  if (upstreamProxy.warning) warnings.push(upstreamProxy.warning);
  const ca = await loadOrCreateCa(ctx);
  const interceptor = new Interceptor(ctx.platform, {
    leaves: new LeafCache(ca, { now: () => new Date(ctx.platform.clock.now()) }),
    table,
    credentials,
    log: ctx.log,
    caCerts: parentCas.pems,
    upstreamProxy: upstreamProxy.pick,
  });
  // Per-run proxy credentials: only this child (and its children) can use the proxy.
  const password = ctx.platform.randomBytes(16).toHex();
  registerSecretValue(password);
  const proxy = startProxy(ctx.platform, {
    table,
    interceptor,
    log: ctx.log,
    credentials: `authsome:${password}`,
    upstreamProxy: upstreamProxy.pick,
  });
  const extraCas = parentCas.pems.join("");
  const bundlePath = await ctx.platform.makeTempFile(
    "authsome-ca-",
    (await readSystemRoots(ctx.platform)) + extraCas + ca.certificatePem,
  );
  const extraPath = await ctx.platform.makeTempFile(
    "authsome-ca-extra-",
    extraCas + ca.certificatePem,
  );
  const proxyUrl = `http://authsome:${password}@127.0.0.1:${proxy.port}`;
  const noProxy = [
    ctx.platform.env("NO_PROXY") ?? ctx.platform.env("no_proxy"),
    "127.0.0.1,localhost,::1",
  ]
    .filter(Boolean).join(",");
  Object.assign(env, {
    HTTP_PROXY: proxyUrl,
    HTTPS_PROXY: proxyUrl,
    http_proxy: proxyUrl,
    https_proxy: proxyUrl,
    NO_PROXY: noProxy,
    no_proxy: noProxy,
    // Node 22.21+/24.5+ honour HTTP(S)_PROXY only with this; older Node ignores it.
    NODE_USE_ENV_PROXY: "1",
    AUTHSOME_PROXY_MODE: "1",
    SSL_CERT_FILE: bundlePath,
    REQUESTS_CA_BUNDLE: bundlePath,
    CURL_CA_BUNDLE: bundlePath,
    GIT_SSL_CAINFO: bundlePath,
    DENO_CERT: bundlePath,
    // Node adds these to its built-in roots: the parent's extra CAs and the authsome CA.
    NODE_EXTRA_CA_CERTS: extraPath,
  });
  return {
    env,
    sources,
    warnings,
    async close() {
      await proxy.close();
      await ctx.platform.fs.remove(bundlePath);
      await ctx.platform.fs.remove(extraPath);
    },
  };
}
