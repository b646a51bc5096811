/**
 * Auth headers for the proxy, cached in memory until the credential enters its refresh
 * window, then fetched again through `handOutCredential` (which refreshes, with the same
 * single-refresh guarantee as every other caller). A long-running child keeps working across
 * token expiries.
 *
 * @module
 */
import type { AuthsomeContext } from "../auth/context.ts";
import { handOutCredential } from "../auth/hand_out.ts";
import type { AuthHeader } from "../auth/headers.ts";
import { needsRefresh } from "../auth/refresh_rule.ts";
import type { Connection } from "../model/connection.ts";

interface Cached {
  header: AuthHeader;
  connection: Connection;
}

/** Headers by `provider/connection`. */
export class CredentialHeaders {
  readonly #ctx: AuthsomeContext;
  readonly #cache = new Map<string, Promise<Cached>>();

  constructor(ctx: AuthsomeContext) {
    this.#ctx = ctx;
  }

  /** The header for a connection, refreshed first when due. */
  async header(provider: string, connection: string): Promise<AuthHeader> {
    const key = `${provider}/${connection}`;
    const cached = this.#cache.get(key);
    if (cached) {
      const entry = await cached.catch(() => null);
      if (entry && !needsRefresh(entry.connection, this.#ctx.platform.clock.now())) {
        return entry.header;
      }
    }
    const fresh = this.#load(provider, connection);
    this.#cache.set(key, fresh);
    fresh.catch(() => this.#cache.delete(key));
    return (await fresh).header;
  }

  async #load(provider: string, name: string): Promise<Cached> {
    const { connection, header, warning } = await handOutCredential(this.#ctx, provider, {
      connection: name,
      header: true,
    });
    if (warning) this.#ctx.log.warn(warning);
    return { header: header!, connection };
  }
}
