/**
 * The parts shared by every intercepting proxy (`run`'s, and a grant's inside the daemon): how a
 * connection is routed (its host pattern, its provider's OAuth endpoints left alone, the
 * placeholder its SDK sees), what the proxy trusts and goes through upstream, and the child's
 * environment (proxy and CA bundle variables).
 *
 * @module
 */
import type { Connection } from "../model/connection.ts";
import type { ProviderDefinition } from "../model/provider.ts";
import { RUN_PLACEHOLDER } from "../model/run_placeholder.ts";
import type { Platform } from "../platform/types.ts";
import { hostPatternProblem } from "../providers/regex_safety.ts";
import { envVarNames, resolveTemplate } from "../providers/registry.ts";
import { type ParentCas, readParentCas, readSystemRoots } from "./ca_bundle.ts";
import { PROXY_MODE_ON, PROXY_MODE_VARIABLE } from "./proxy_mode.ts";
import type { RouteEntry } from "./routing.ts";
import { parentProxy, type UpstreamProxyPicker } from "./upstream_proxy.ts";

/** The provider's own OAuth endpoints: never given credentials by the proxy. */
function oauthUrls(definition: ProviderDefinition, baseUrl: string | null): string[] {
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

/** A connection the proxy routes, and the placeholder variables its SDK needs to start. */
export interface RoutedConnection {
  entry: RouteEntry;
  placeholders: Record<string, string>;
}

/**
 * How the proxy routes one connection, or null (with a warning) when it cannot: the host
 * pattern stored at login (or the definition's, `{base_url}` resolved), never an unsafe one.
 */
export function routedConnection(
  definition: ProviderDefinition,
  name: string,
  stored: Connection | null | undefined,
  warnings: string[],
): RoutedConnection | null {
  const provider = definition.name;
  const baseUrl = stored?.baseUrl ?? definition.oauth?.base_url ?? null;
  // A predecessor definition may write its host as `{base_url}/...`.
  const declared = definition.host_url?.includes("{base_url}") && baseUrl
    ? resolveTemplate(definition.host_url, baseUrl)
    : definition.host_url;
  const { hostUrl, replaced } = effectiveHostUrl(stored?.hostUrl, declared);
  if (replaced) {
    warnings.push(
      `${provider}/${name}: ignoring the host pattern ${replaced}, which can match other hosts` +
        (hostUrl ? `; using ${hostUrl}` : ""),
    );
  }
  if (!hostUrl) {
    if (!replaced) {
      warnings.push(`${provider} has no host_url; its requests cannot be given credentials`);
    }
    return null;
  }
  const names = envVarNames(definition);
  return {
    entry: { provider, connection: name, hostUrl, excludedUrls: oauthUrls(definition, baseUrl) },
    placeholders: {
      [definition.auth_type === "api_key" ? names.api_key : names.access_token]: RUN_PLACEHOLDER,
    },
  };
}

/** What the proxy trusts and goes through when it connects to the real hosts. */
export interface UpstreamTrust {
  /** The CA files the environment names (corporate CAs, `AUTHSOME_CA_FILE`). */
  parentCas: ParentCas;
  caCerts: string[];
  proxy: UpstreamProxyPicker;
}

/** Reads the environment's extra CAs and proxy; problems become warnings. */
export async function upstreamTrust(
  platform: Platform,
  warnings: string[],
): Promise<UpstreamTrust> {
  const parentCas = await readParentCas(platform);
  for (const file of parentCas.unreadable) {
    warnings.push(`cannot read CA certificates from ${file}; the child will not trust them`);
  }
  const upstreamProxy = parentProxy(platform);
  if (upstreamProxy.warning) warnings.push(upstreamProxy.warning);
  return { parentCas, caCerts: parentCas.pems, proxy: upstreamProxy.pick };
}

/** The child's side of a proxy: its variables, and the CA bundle files they name. */
export interface ChildProxyEnv {
  env: Record<string, string>;
  /** Removes the CA bundle files. */
  close(): Promise<void>;
}

/**
 * Writes the child's CA bundles (system roots, the parent's extra CAs and the authsome CA) and
 * returns the variables pointing the child at the proxy and at those bundles.
 */
export async function childProxyEnv(
  platform: Platform,
  options: { proxyUrl: string; caCertificatePem: string; parentCas: ParentCas },
): Promise<ChildProxyEnv> {
  const extraCas = options.parentCas.pems.join("");
  const bundlePath = await platform.makeTempFile(
    "authsome-ca-",
    (await readSystemRoots(platform)) + extraCas + options.caCertificatePem,
  );
  const extraPath = await platform.makeTempFile(
    "authsome-ca-extra-",
    extraCas + options.caCertificatePem,
  ).catch(async (error) => {
    await platform.fs.remove(bundlePath);
    throw error;
  });
  const noProxy = [platform.env("NO_PROXY") ?? platform.env("no_proxy"), "127.0.0.1,localhost,::1"]
    .filter(Boolean).join(",");
  const proxyUrl = options.proxyUrl;
  return {
    env: {
      HTTP_PROXY: proxyUrl,
      HTTPS_PROXY: proxyUrl,
      http_proxy: proxyUrl,
      https_proxy: proxyUrl,
      NO_PROXY: noProxy,
      no_proxy: noProxy,
      // Node 22.21+/24.5+ honour HTTP(S)_PROXY only with this; older Node ignores it.
      NODE_USE_ENV_PROXY: "1",
      [PROXY_MODE_VARIABLE]: PROXY_MODE_ON,
      SSL_CERT_FILE: bundlePath,
      REQUESTS_CA_BUNDLE: bundlePath,
      CURL_CA_BUNDLE: bundlePath,
      GIT_SSL_CAINFO: bundlePath,
      DENO_CERT: bundlePath,
      // Node adds these to its built-in roots: the parent's extra CAs and the authsome CA.
      NODE_EXTRA_CA_CERTS: extraPath,
    },
    async close() {
      await platform.fs.remove(bundlePath);
      await platform.fs.remove(extraPath);
    },
  };
}
