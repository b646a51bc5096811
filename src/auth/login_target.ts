/**
 * Where a login writes: the connection name it means (explicit, else the provider's default)
 * and what is stored there now. The `login` command reads it once to decide between "already
 * logged in" and a flow, and hands it to the flow, so a login reads the vault once before the
 * write (on a vault of 10,000 connections each read costs several milliseconds).
 *
 * @module
 */
import type { Connection } from "../model/connection.ts";
import type { VaultSnapshot } from "../vault/vault.ts";
import type { AuthsomeContext } from "./context.ts";
import { findConnection, resolveConnectionName } from "./connections.ts";

/** The connection a login is for, as the vault held it when read. */
export interface LoginTarget {
  snapshot: VaultSnapshot;
  /** The connection name the login writes. */
  name: string;
  /** The connection stored under that name, if any. */
  existing: Connection | null;
}

/** Reads the vault and finds where a login for `provider` goes. */
export async function findLoginTarget(
  ctx: AuthsomeContext,
  provider: string,
  connection: string | undefined,
): Promise<LoginTarget> {
  const snapshot = await ctx.vault.read();
  const name = await resolveConnectionName(snapshot, ctx.profile, provider, connection);
  const existing = await findConnection(snapshot, ctx.profile, provider, name);
  return { snapshot, name, existing };
}

/** What a login asks for, to compare with what is stored. */
export interface LoginRequest {
  /** `--scopes`, when given. */
  scopes?: readonly string[];
  /** `--base-url`, when given. */
  baseUrl?: string;
  /** The base URL the connection uses when none is stored (the definition's). */
  defaultBaseUrl?: string | null;
  /** Now, in epoch milliseconds. */
  now: number;
}

function normaliseUrl(url: string | null | undefined): string | null {
  return url ? url.replace(/\/+$/, "") : null;
}

/**
 * Why a login must run its flow again although a connection is stored (`null`: keep it and
 * answer "already logged in"). Like the predecessor: a stored login counts only while it is
 * `connected`, its access token has not expired, and it has the requested scope set and base
 * URL.
 */
export function reauthenticationReason(existing: Connection, request: LoginRequest): string | null {
  if (existing.status !== "connected") return `the stored login is ${existing.status}`;
  if (existing.expiresAt !== null) {
    const expires = Date.parse(existing.expiresAt);
    if (!Number.isNaN(expires) && request.now >= expires) {
      return `the stored access token expired at ${existing.expiresAt}`;
    }
  }
  if (request.scopes !== undefined) {
    const wanted = [...new Set(request.scopes)].sort();
    const stored = [...new Set(existing.scopes)].sort();
    if (wanted.join(" ") !== stored.join(" ")) {
      return `--scopes ${wanted.join(",") || '""'} differ from the stored ` +
        `${stored.join(",") || "(none)"}`;
    }
  }
  if (request.baseUrl !== undefined) {
    const wanted = normaliseUrl(request.baseUrl);
    const stored = normaliseUrl(existing.baseUrl ?? request.defaultBaseUrl);
    if (wanted !== stored) {
      return `--base-url ${wanted} differs from the stored ${stored ?? "(none)"}`;
    }
  }
  return null;
}
