/**
 * What a grant allows, as the user writes it: `--provider github,slack --host api.github.com
 * --method GET,POST --ttl 15m`. Pure parsing and matching, no I/O.
 *
 * - providers: at least one; a grant never means "everything".
 * - hosts: empty means the providers' own `host_url` routes; otherwise the request's host (and
 *   port, when one is written) must be one of them as well.
 * - methods: empty means any; otherwise the request's method must be one of them.
 * - ttl: `<n>s`, `<n>m`, `<n>h` or `<n>d`, from 1 s to 7 days (default 15 minutes).
 *
 * @module
 */
import { UsageError } from "../errors.ts";

/** The limits of one grant. */
export interface GrantLimits {
  providers: string[];
  /** `host` or `host:port`, lower-cased; empty: any host the providers route. */
  hosts: string[];
  /** Upper-cased; empty: any method. */
  methods: string[];
  ttlMs: number;
}

/** A grant as asked for: a name and its limits. */
export interface GrantSpec extends GrantLimits {
  name: string;
}

/** The TTL when none is given. */
export const DEFAULT_GRANT_TTL = "15m";
const MAX_TTL_MS = 7 * 24 * 3600_000;
const UNITS: Record<string, number> = { s: 1_000, m: 60_000, h: 3600_000, d: 24 * 3600_000 };
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const METHOD = /^[A-Z]{1,20}$/;
const HOST = /^(?:\[[0-9a-f:.]+\]|[a-z0-9._-]+)(?::\d{1,5})?$/;

/** Parses `15m`, `90s`, `2h`, `1d`. */
export function parseTtl(text: string): number {
  const match = /^(\d{1,7})([smhd])$/.exec(text.trim());
  const ms = match ? Number(match[1]) * UNITS[match[2]] : NaN;
  if (!(ms >= 1_000 && ms <= MAX_TTL_MS)) {
    throw new UsageError(
      `--ttl must be a duration from 1s to 7d such as 90s, 15m or 2h, got "${text}"`,
    );
  }
  return ms;
}

/** Splits repeated and comma-separated flag values, dropping empty items. */
function splitList(values: readonly string[] | undefined): string[] {
  return [...new Set((values ?? []).flatMap((v) => v.split(",")).map((v) => v.trim()))]
    .filter(Boolean);
}

/** Checks a grant name (it appears in the audit log and in the child's proxy URL). */
export function checkGrantName(name: string): string {
  if (!NAME.test(name)) {
    throw new UsageError(
      `invalid grant name "${name.slice(0, 64)}": use letters, digits, '.', '_' and '-'`,
    );
  }
  return name;
}

/** Builds a grant spec from flag values; bad values are usage errors. */
export function parseGrantSpec(input: {
  name: string;
  providers?: readonly string[];
  hosts?: readonly string[];
  methods?: readonly string[];
  ttl?: string;
}): GrantSpec {
  const name = checkGrantName(input.name);
  const providers = splitList(input.providers);
  if (providers.length === 0) {
    throw new UsageError("a grant needs at least one --provider", {
      hint: `authsome grant create ${name} --provider <name> --ttl ${DEFAULT_GRANT_TTL}`,
    });
  }
  for (const provider of providers) {
    if (!NAME.test(provider)) throw new UsageError(`invalid provider name "${provider}"`);
  }
  const hosts = splitList(input.hosts).map((h) => h.toLowerCase().replace(/\.$/, ""));
  for (const host of hosts) {
    if (!HOST.test(host)) {
      throw new UsageError(
        `--host takes a host name or host:port (no scheme or path), got "${host}"`,
      );
    }
  }
  const methods = splitList(input.methods).map((m) => m.toUpperCase());
  for (const method of methods) {
    if (!METHOD.test(method)) throw new UsageError(`invalid HTTP method "${method}"`);
  }
  return { name, providers, hosts, methods, ttlMs: parseTtl(input.ttl ?? DEFAULT_GRANT_TTL) };
}

/** Whether `host:port` is one of `hosts` (an entry without a port matches any port). */
export function hostAllowed(hosts: readonly string[], host: string, port: number): boolean {
  if (hosts.length === 0) return true;
  const bare = host.toLowerCase().replace(/^\[|\]$/g, "").replace(/\.$/, "");
  return hosts.some((entry) => {
    const match = /^(.*?)(?::(\d+))?$/.exec(entry)!;
    const entryHost = match[1].replace(/^\[|\]$/g, "");
    return entryHost === bare && (match[2] === undefined || Number(match[2]) === port);
  });
}

/** Whether the grant restricts hosts or methods (then the daemon never reveals raw tokens). */
export function limitsRequests(limits: GrantLimits): boolean {
  return limits.hosts.length > 0 || limits.methods.length > 0;
}
