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
import { registerSecretValue } from "../model/secret.ts";
import { findConnection } from "../auth/connections.ts";
import { envVarNames, resolveTemplate } from "../providers/registry.ts";
import { loadOrCreateCa } from "./ca_store.ts";
import { CredentialHeaders } from "./credential_headers.ts";
import { Interceptor } from "./interceptor.ts";
import { startProxy } from "./proxy.ts";
import { buildRoutes, type RouteEntry } from "./routing.ts";
import { PROXY_MODE_ON, PROXY_MODE_VARIABLE } from "./proxy_mode.ts";
import { selectConnections } from "./selection.ts";
import { LeafCache } from "./x509.ts";

/** The placeholder SDKs see instead of the credential. */
export const PROXY_PLACEHOLDER = "authsome-proxy-managed";

/** Where system CA certificates usually are; the first that exists is used. */
export const SYSTEM_CA_FILES = [
  "/etc/ssl/certs/ca-certificates.crt",
  "/etc/pki/tls/certs/ca-bundle.crt",
  "/etc/ssl/cert.pem",
  "/etc/ssl/ca-bundle.pem",
];

/** A running proxy session. */
export interface ProxySession {
  /** Variables to add to the child's environment. */
  env: Record<string, string>;
  /** `provider/connection` of every routed connection. */
  sources: string[];
  warnings: string[];
  close(): Promise<void>;
}

/** The provider's OAuth endpoint URLs, which the proxy never injects. */
export function oauthUrls(definition: ProviderDefinition, baseUrl: string | null): string[] {
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
  for (const { definition, connection: name } of await selectConnections(ctx, options)) {
    const provider = definition.name;
    const stored = await findConnection(snapshot, ctx.profile, provider, name);
    const baseUrl = stored?.baseUrl ?? definition.oauth?.base_url ?? null;
    const declared = definition.host_url?.includes("{base_url}") && baseUrl
      ? resolveTemplate(definition.host_url, baseUrl)
      : definition.host_url;
    const hostUrl = stored?.hostUrl ?? declared;
    if (!hostUrl) {
      warnings.push(`${provider} has no host_url; its requests cannot be given credentials`);
      continue;
    }
    entries.push({
      provider,
      connection: name,
      hostUrl,
      excludedUrls: oauthUrls(definition, baseUrl),
    });
    const names = envVarNames(definition);
    env[definition.auth_type === "api_key" ? names.api_key : names.access_token] =
      PROXY_PLACEHOLDER;
    sources.push(`${provider}/${name}`);
  }
  const table = buildRoutes(entries);
  for (const problem of table.problems) {
    warnings.push(`${problem.provider}: ${problem.value}: ${problem.reason}`);
  }
  const ca = await loadOrCreateCa(ctx);
  const interceptor = new Interceptor(ctx.platform, {
    leaves: new LeafCache(ca, { now: () => new Date(ctx.platform.clock.now()) }),
    table,
    credentials: new CredentialHeaders(ctx),
    log: ctx.log,
  });
  // Per-run proxy credentials: only this child (and its children) can use the proxy.
  const password = ctx.platform.randomBytes(16).toHex();
  registerSecretValue(password);
  const proxy = startProxy(ctx.platform, {
    table,
    interceptor,
    log: ctx.log,
    credentials: `authsome:${password}`,
  });
  let systemRoots = "";
  for (const file of SYSTEM_CA_FILES) {
    const text = await ctx.platform.fs.readTextFile(file).catch(() => null);
    if (text) {
      systemRoots = text.endsWith("\n") ? text : `${text}\n`;
      break;
    }
  }
  const bundlePath = await ctx.platform.makeTempFile(
    "authsome-ca-",
    systemRoots + ca.certificatePem,
  );
  const caOnlyPath = await ctx.platform.makeTempFile("authsome-ca-only-", ca.certificatePem);
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
    [PROXY_MODE_VARIABLE]: PROXY_MODE_ON,
    SSL_CERT_FILE: bundlePath,
    REQUESTS_CA_BUNDLE: bundlePath,
    CURL_CA_BUNDLE: bundlePath,
    GIT_SSL_CAINFO: bundlePath,
    DENO_CERT: bundlePath,
    // Node adds these to its built-in roots, so only the authsome CA goes here.
    NODE_EXTRA_CA_CERTS: caOnlyPath,
  });
  return {
    env,
    sources,
    warnings,
    async close() {
      await proxy.close();
      await interceptor.close();
      await ctx.platform.fs.remove(bundlePath);
      await ctx.platform.fs.remove(caOnlyPath);
    },
  };
}
