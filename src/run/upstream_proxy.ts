/**
 * The parent's own HTTP proxy (a corporate proxy in `HTTPS_PROXY`): `run`'s proxy reaches the
 * real hosts through it, with CONNECT, as the child would have without authsome. `NO_PROXY`
 * is honoured (exact hosts, domain suffixes with or without a leading dot, `host:port`, `*`);
 * loopback hosts are always reached directly.
 *
 * @module
 */
import type { Platform, UpstreamProxy } from "../platform/types.ts";

/** Picks the proxy for a destination, or null for a direct connection. */
export type UpstreamProxyPicker = (host: string, port: number) => UpstreamProxy | null;

function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host);
}

function bypassed(noProxy: string[], host: string, port: number): boolean {
  return noProxy.some((entry) => {
    if (entry === "*") return true;
    const match = entry.match(/^(.*?)(?::(\d+))?$/)!;
    const name = match[1].replace(/^\*?\./, "").replace(/^\[|\]$/g, "");
    if (match[2] && Number(match[2]) !== port) return false;
    return name !== "" && (host === name || host.endsWith(`.${name}`));
  });
}

/**
 * Reads `HTTPS_PROXY` (or `https_proxy`, then `ALL_PROXY`/`all_proxy`) and `NO_PROXY` from
 * this process's environment (the parent's, before `run` points the child at itself).
 * Returns the picker, and a warning when the variable is not an `http://host:port` URL.
 */
export function parentProxy(platform: Platform): { pick: UpstreamProxyPicker; warning?: string } {
  const value = ["HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"]
    .map((name) => platform.env(name))
    .find((v) => v !== undefined && v.trim() !== "");
  if (!value) return { pick: () => null };
  let url: URL | null = null;
  try {
    url = new URL(value.includes("://") ? value : `http://${value}`);
  } catch {
    // Reported below.
  }
  if (!url || url.protocol !== "http:" || !url.hostname) {
    return {
      pick: () => null,
      warning: "ignoring HTTPS_PROXY: only http://host:port proxies are supported upstream",
    };
  }
  const proxy: UpstreamProxy = {
    hostname: url.hostname.replace(/^\[|\]$/g, ""),
    port: Number(url.port || 80),
    ...(url.username
      ? {
        authorization: `Basic ${
          btoa(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`)
        }`,
      }
      : {}),
  };
  const noProxy = (platform.env("NO_PROXY") ?? platform.env("no_proxy") ?? "")
    .split(",").map((entry) => entry.trim().toLowerCase()).filter(Boolean);
  return {
    pick: (host, port) => isLoopback(host) || bypassed(noProxy, host, port) ? null : proxy,
  };
}
