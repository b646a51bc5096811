/**
 * The daemon's grants: named, scoped, expiring, revocable bearer tokens for agents. They live
 * in the daemon's memory only (a daemon stop revokes them all). The token (32 random bytes,
 * base64url) is returned once, when the grant is created; the registry keeps its SHA-256 and
 * compares digests in constant time.
 *
 * @module
 */
import { AuthsomeError, ExitCode, UsageError } from "../errors.ts";
import { registerSecretValue } from "../model/secret.ts";
import type { Platform } from "../platform/types.ts";
import { constantTimeEqual } from "../vault/crypto.ts";
import { type GrantLimits, type GrantSpec, hostAllowed } from "./spec.ts";

/** A request refused by a grant's limits, or made with an expired or revoked grant. */
export class GrantDeniedError extends AuthsomeError {
  /** Stable machine-readable code, printed as `error` in `--json` output. */
  override readonly code: string = "grant_denied";
  /** Process exit code for this failure. */
  override readonly exitCode: number = ExitCode.authenticationFailed;
  /** The HTTP status the proxy answers with instead of forwarding (see `CredentialLookup`). */
  readonly refusalStatus = 403;
  /** The class name, shown in the debug log. */
  override name: string = "GrantDeniedError";
}

/** A live grant (no token: only its digest is kept). */
export interface Grant extends GrantLimits {
  name: string;
  /** The profile whose connections the grant uses. */
  profile: string;
  createdAt: number;
  expiresAt: number;
}

/** What a grant is asked to allow. */
export interface GrantUse {
  provider: string;
  /** Absent for a raw-token request to the daemon. */
  host?: string;
  port?: number;
  method?: string;
  /**
   * Methods the request asks the server to use instead (`X-HTTP-Method-Override` and the like,
   * which Google APIs and many frameworks honour): each must be allowed as well.
   */
  methodOverrides?: readonly string[];
}

interface Entry {
  grant: Grant;
  digest: Uint8Array;
  /** Closes what serves this grant (its proxy); called on revoke, expiry and daemon stop. */
  closers: (() => Promise<void>)[];
  /** How the grant is served (its proxy's port and CA), for its holder to ask again. */
  serving: Record<string, unknown>;
}

/** Grants by name. */
export class GrantRegistry {
  readonly #platform: Platform;
  readonly #entries = new Map<string, Entry>();
  /** Why a grant that no longer exists ended, so a late request hears the real reason. */
  readonly #ended = new Map<string, string>();
  readonly #closing = new Set<Promise<void>>();

  constructor(platform: Platform) {
    this.#platform = platform;
  }

  /** Mints a grant; its token is in the result and nowhere else. */
  async create(spec: GrantSpec, profile = "default"): Promise<{ grant: Grant; token: string }> {
    this.sweep();
    if (this.#entries.has(spec.name)) {
      throw new UsageError(`a grant named "${spec.name}" already exists`, {
        hint: `authsome grant revoke ${spec.name}`,
      });
    }
    const token = this.#platform.randomBytes(32).toBase64({
      alphabet: "base64url",
      omitPadding: true,
    });
    registerSecretValue(token);
    const now = this.#platform.clock.now();
    const grant: Grant = {
      name: spec.name,
      profile,
      providers: [...spec.providers],
      hosts: [...spec.hosts],
      methods: [...spec.methods],
      ttlMs: spec.ttlMs,
      createdAt: now,
      expiresAt: now + spec.ttlMs,
    };
    this.#ended.delete(spec.name);
    this.#entries.set(spec.name, {
      grant,
      digest: await digest(token),
      closers: [],
      serving: {},
    });
    return { grant, token };
  }

  /** Records how the grant is served (no secrets: its proxy's port, CA, placeholders). */
  setServing(name: string, serving: Record<string, unknown>): void {
    const entry = this.#entries.get(name);
    if (entry) entry.serving = serving;
  }

  /** How the grant is served, as recorded by {@linkcode setServing}. */
  serving(name: string): Record<string, unknown> {
    return this.#entries.get(name)?.serving ?? {};
  }

  /** Registers something to close when the grant ends. */
  onEnd(name: string, close: () => Promise<void>): void {
    this.#entries.get(name)?.closers.push(close);
  }

  /** The grant a bearer token belongs to (expired ones included, so the error can say so). */
  async byToken(token: string): Promise<Grant | null> {
    const given = await digest(token);
    let found: Grant | null = null;
    for (const entry of this.#entries.values()) {
      if (constantTimeEqual(given, entry.digest)) found = entry.grant;
    }
    return found;
  }

  /** Live and expired (not yet swept) grants, by name. */
  list(): Grant[] {
    return [...this.#entries.values()].map((e) => e.grant)
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  /**
   * Throws {@linkcode GrantDeniedError} unless the grant named `name` is still live and allows
   * `use`; returns the grant.
   */
  check(name: string, use: GrantUse): Grant {
    const grant = this.live(name);
    if (!grant.providers.includes(use.provider)) {
      throw new GrantDeniedError(`grant "${name}" does not allow provider ${use.provider}`);
    }
    if (use.host !== undefined && !hostAllowed(grant.hosts, use.host, use.port ?? 443)) {
      throw new GrantDeniedError(`grant "${name}" does not allow host ${use.host}`);
    }
    const methods = [
      ...(use.method === undefined ? [] : [use.method]),
      ...use.methodOverrides ?? [],
    ];
    for (const method of grant.methods.length > 0 ? methods : []) {
      if (!grant.methods.includes(method.trim().toUpperCase())) {
        throw new GrantDeniedError(`grant "${name}" does not allow method ${method.slice(0, 20)}`);
      }
    }
    return grant;
  }

  /** The grant if it is live; {@linkcode GrantDeniedError} saying why not otherwise. */
  live(name: string): Grant {
    const grant = this.#entries.get(name)?.grant;
    if (!grant) {
      throw new GrantDeniedError(`grant "${name}" ${this.#ended.get(name) ?? "does not exist"}`);
    }
    if (this.#platform.clock.now() >= grant.expiresAt) throw new GrantDeniedError(expired(grant));
    return grant;
  }

  /** Ends a grant at once; false if there was none by that name. */
  revoke(name: string, reason = "was revoked"): boolean {
    const entry = this.#entries.get(name);
    if (!entry) return false;
    this.#entries.delete(name);
    this.#ended.set(name, reason);
    // Not awaited: a proxy closes only once the child drops its open tunnels, and those are
    // refused per request from now on anyway.
    const closing = Promise.allSettled(entry.closers.map((close) => close())).then(() => {});
    this.#closing.add(closing);
    closing.finally(() => this.#closing.delete(closing));
    return true;
  }

  /** Ends every expired grant. */
  sweep(): void {
    const now = this.#platform.clock.now();
    const expired = [...this.#entries.values()].filter((e) => now >= e.grant.expiresAt);
    for (const e of expired) this.revoke(e.grant.name, expiredText(e.grant));
  }

  /** Ends every grant (daemon stop), waiting up to `graceMs` for their proxies to close. */
  async close(graceMs = 2_000): Promise<void> {
    for (const name of [...this.#entries.keys()]) this.revoke(name);
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      Promise.all([...this.#closing]),
      new Promise<void>((resolve) => timer = setTimeout(resolve, graceMs)),
    ]);
    clearTimeout(timer);
  }
}

function expiredText(grant: Grant): string {
  return `expired at ${new Date(grant.expiresAt).toISOString()}`;
}

function expired(grant: Grant): string {
  return `grant "${grant.name}" ${expiredText(grant)}`;
}

async function digest(token: string): Promise<Uint8Array> {
  return new Uint8Array(
    await crypto.subtle.digest("SHA-256", new TextEncoder().encode(token)),
  );
}
