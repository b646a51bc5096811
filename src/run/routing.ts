/**
 * The `run` proxy's routing table: which connection's credential, if any, a request to
 * `host:port/path` gets. Pure: built from plain data, no I/O.
 *
 * A route comes from a provider's `host_url` (docs/contract.md §8) in one of three forms:
 * - a bare host, optionally with a path: `api.github.com`, `api.example.com/v1`;
 * - a URL, optionally with a port and a path prefix: `https://api.example.com:8443/v1`;
 * - `regex:<pattern>`: a case-insensitive full match on the host (never the port or path).
 *
 * Hosts are compared lower-cased, without IPv6 brackets and without one trailing dot. A route
 * with an explicit port only matches that port; a route without one matches any port. A path
 * prefix matches the path itself and anything below it (`/v1` matches `/v1` and `/v1/x`, never
 * `/v10`); request paths are compared after removing the query and resolving `.`/`..` segments.
 *
 * The most specific matching route wins: the longer path prefix, then an exact host over a
 * regex, then an explicit port over any port. Matching routes that tie on all three and belong
 * to different connections make the request `ambiguous`: the caller forwards it unchanged and
 * warns. Requests to any provider's own OAuth endpoints (`excludedUrls`) always `pass`.
 *
 * Only the proxy's TLS-intercepted (https) requests are meant to be routed; the URL scheme of a
 * `host_url` is not compared. Loopback hosts are routed like any other, so local test servers
 * can be used.
 *
 * @module
 */

/** One connection's routing input. */
export interface RouteEntry {
  provider: string;
  connection: string;
  /** The provider's `host_url`. */
  hostUrl: string;
  /**
   * The provider's OAuth endpoints (authorization, token, revocation, device authorization,
   * registration), template-resolved. They are never injected, whichever route matches them.
   */
  excludedUrls: string[];
}

/** How a route matches the host. */
export type HostMatcher =
  | { kind: "exact"; host: string }
  | { kind: "regex"; pattern: RegExp; source: string };

/** A compiled route. */
export interface Route {
  provider: string;
  connection: string;
  host: HostMatcher;
  /** Null: any port. */
  port: number | null;
  /** Normalised path prefix without a trailing slash; `""` for none. */
  pathPrefix: string;
}

/** A URL that must never be injected. */
export interface Exclusion {
  host: string;
  /** Null: any port. */
  port: number | null;
  /** Normalised path: the URL itself and everything below it are excluded (`""`: all). */
  path: string;
}

/** An entry or excluded URL that could not be understood; it is left out of the table. */
export interface RouteProblem {
  provider: string;
  connection: string;
  /** The offending `host_url` or excluded URL. */
  value: string;
  reason: string;
}

/** The compiled table. */
export interface RouteTable {
  routes: Route[];
  exclusions: Exclusion[];
  /** Entries left out; the caller should warn about each. */
  problems: RouteProblem[];
}

/** The routing decision for one request. */
export type RouteDecision =
  | { kind: "inject"; provider: string; connection: string }
  | { kind: "pass" }
  | { kind: "ambiguous"; candidates: string[] };

/** A request as the proxy sees it after TLS termination. */
export interface RouteRequest {
  host: string;
  port: number;
  /** The request target's path (a query string is ignored). */
  path: string;
}

/** Lower case, IPv6 brackets and one trailing dot removed. */
export function normalizeHost(host: string): string {
  let out = host.trim().toLowerCase();
  if (out.startsWith("[") && out.endsWith("]")) out = out.slice(1, -1);
  if (out.endsWith(".") && out.length > 1) out = out.slice(0, -1);
  return out;
}

/**
 * A request path made comparable: query and fragment removed, `.`/`..` segments resolved,
 * percent-encoded dots treated as dots (WHATWG URL rules), always starting with `/`, and no
 * trailing slash (except the root itself, which becomes `""`).
 */
export function normalizePath(path: string): string {
  let pathname: string;
  try {
    // Origin form (`/a/b?q`) is usual; absolute form (`https://h/a/b`) is accepted too.
    const absolute = /^[a-z][a-z0-9+.-]*:\/\//i.test(path);
    const relative = absolute || path.startsWith("/") ? path : `/${path}`;
    pathname = new URL(relative, "http://route.invalid").pathname;
  } catch {
    pathname = path.split(/[?#]/)[0];
  }
  return pathname.replace(/\/+$/, "");
}

/** Whether `path` (normalised) is `prefix` or below it. An empty prefix matches every path. */
export function pathUnder(path: string, prefix: string): boolean {
  return prefix === "" || path === prefix || path.startsWith(`${prefix}/`);
}

interface ParsedLocation {
  host: string;
  port: number | null;
  path: string;
}

function parsePort(port: string): number | null {
  return port === "" ? null : Number(port);
}

/** Parses a URL or bare `host[:port][/path]` into host, port and normalised path. */
function parseLocation(value: string): ParsedLocation | string {
  const text = value.trim();
  if (text === "") return "empty";
  const hasScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text);
  if (hasScheme && !/^https?:\/\//i.test(text)) return "only http and https URLs can be routed";
  const candidates = hasScheme ? [text] : [`https://${text}`];
  // A bare IPv6 literal (`::1`, `fe80::1/api`) has no brackets; add them.
  if (!hasScheme && !text.startsWith("[")) {
    const match = text.match(/^([0-9a-f:.]*:[0-9a-f:.]*)(\/.*)?$/i);
    if (match && match[1].split(":").length > 2) {
      candidates.unshift(`https://[${match[1]}]${match[2] ?? ""}`);
    }
  }
  for (const candidate of candidates) {
    let url: URL;
    try {
      url = new URL(candidate);
    } catch {
      continue;
    }
    if (url.username || url.password) return "credentials in the URL";
    if (!url.hostname) continue;
    return {
      host: normalizeHost(url.hostname),
      port: parsePort(url.port),
      path: normalizePath(url.pathname),
    };
  }
  return "not a host or URL";
}

/** Compiles connections' `host_url`s and their providers' OAuth endpoints into a table. */
export function buildRoutes(entries: readonly RouteEntry[]): RouteTable {
  const routes: Route[] = [];
  const exclusions: Exclusion[] = [];
  const problems: RouteProblem[] = [];
  const seenExclusions = new Set<string>();
  for (const entry of entries) {
    const { provider, connection } = entry;
    const problem = (value: string, reason: string) =>
      problems.push({ provider, connection, value, reason });

    const hostUrl = entry.hostUrl.trim();
    if (/^regex:/i.test(hostUrl)) {
      const source = hostUrl.slice("regex:".length);
      if (source.trim() === "") {
        problem(entry.hostUrl, "empty regex");
      } else {
        try {
          const pattern = new RegExp(`^(?:${source})$`, "i");
          routes.push({
            provider,
            connection,
            host: { kind: "regex", pattern, source },
            port: null,
            pathPrefix: "",
          });
        } catch (error) {
          problem(entry.hostUrl, `invalid regex: ${(error as Error).message}`);
        }
      }
    } else {
      const parsed = parseLocation(hostUrl);
      if (typeof parsed === "string") {
        problem(entry.hostUrl, parsed);
      } else {
        routes.push({
          provider,
          connection,
          host: { kind: "exact", host: parsed.host },
          port: parsed.port,
          pathPrefix: parsed.path,
        });
      }
    }

    for (const url of entry.excludedUrls) {
      const parsed = parseLocation(url);
      if (typeof parsed === "string" || !/^https?:\/\//i.test(url.trim())) {
        problem(url, typeof parsed === "string" ? parsed : "not an absolute URL");
        continue;
      }
      const key = `${parsed.host} ${parsed.port} ${parsed.path}`;
      if (seenExclusions.has(key)) continue;
      seenExclusions.add(key);
      exclusions.push({ host: parsed.host, port: parsed.port, path: parsed.path });
    }
  }
  return { routes, exclusions, problems };
}

function hostMatches(matcher: HostMatcher, host: string): boolean {
  return matcher.kind === "exact" ? matcher.host === host : matcher.pattern.test(host);
}

function routeMatchesHost(route: Route, host: string, port: number): boolean {
  return (route.port === null || route.port === port) && hostMatches(route.host, host);
}

/** Specificity as a comparable tuple: path prefix length, exact host, explicit port. */
function specificity(route: Route): [number, number, number] {
  return [
    route.pathPrefix.length,
    route.host.kind === "exact" ? 1 : 0,
    route.port === null ? 0 : 1,
  ];
}

function compareSpecificity(a: Route, b: Route): number {
  const x = specificity(a);
  const y = specificity(b);
  for (let i = 0; i < x.length; i++) {
    if (x[i] !== y[i]) return x[i] - y[i];
  }
  return 0;
}

/** `provider/connection`, as candidates are reported. */
export function routeLabel(route: { provider: string; connection: string }): string {
  return `${route.provider}/${route.connection}`;
}

/** Whether the request hits an excluded (OAuth endpoint) URL. */
export function isExcluded(table: RouteTable, request: RouteRequest): boolean {
  const host = normalizeHost(request.host);
  const path = normalizePath(request.path);
  return table.exclusions.some((exclusion) =>
    exclusion.host === host && (exclusion.port === null || exclusion.port === request.port) &&
    pathUnder(path, exclusion.path)
  );
}

/** Decides what the request to `host:port/path` gets. */
export function route(table: RouteTable, request: RouteRequest): RouteDecision {
  const host = normalizeHost(request.host);
  const path = normalizePath(request.path);
  if (isExcluded(table, request)) return { kind: "pass" };

  let best: Route[] = [];
  for (const candidate of table.routes) {
    if (!routeMatchesHost(candidate, host, request.port)) continue;
    if (!pathUnder(path, candidate.pathPrefix)) continue;
    const order = best.length === 0 ? 1 : compareSpecificity(candidate, best[0]);
    if (order > 0) best = [candidate];
    else if (order === 0) best.push(candidate);
  }
  if (best.length === 0) return { kind: "pass" };
  const labels = [...new Set(best.map(routeLabel))];
  if (labels.length > 1) return { kind: "ambiguous", candidates: labels.sort() };
  return { kind: "inject", provider: best[0].provider, connection: best[0].connection };
}

/**
 * Whether a CONNECT to `host:port` must be TLS-terminated: some route could match a request to
 * it (its path is not known yet). Hosts for which this is false are tunnelled untouched.
 */
export function hostNeedsInterception(table: RouteTable, host: string, port: number): boolean {
  const normalized = normalizeHost(host);
  return table.routes.some((candidate) => routeMatchesHost(candidate, normalized, port));
}
