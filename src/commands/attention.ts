/**
 * The connections that need attention (`expired`, `invalid`) and the one command that fixes
 * each, as `list` and `whoami` show them (`doctor` builds its own rows from `auth/recovery.ts`).
 *
 * @module
 */
import { fixCommand } from "../auth/recovery.ts";
import type { Connection } from "../model/connection.ts";

/** One connection that is not `connected`. */
interface Attention {
  provider: string;
  connection: string;
  profile: string;
  status: string;
  reason: string | null;
  fix: string;
}

/** The connections that are not `connected`, sorted by provider then connection name. */
export function needingAttention(connections: readonly Connection[]): Attention[] {
  return connections
    .filter((c) => c.status !== "connected")
    .map((c) => ({
      provider: c.provider,
      connection: c.connectionName,
      profile: c.profile,
      status: c.status,
      reason: c.lastRefreshError,
      fix: fixCommand(c)!,
    }))
    .sort((a, b) =>
      a.profile.localeCompare(b.profile) || a.provider.localeCompare(b.provider) ||
      a.connection.localeCompare(b.connection)
    );
}

/** `github (work) is invalid (invalid_grant)` */
function attentionLabel(item: Attention): string {
  return `${item.provider} (${item.connection}) is ${item.status}` +
    (item.reason ? ` (${item.reason})` : "");
}

/** Human lines: a heading, then each connection and its fix; nothing when all is well. */
export function attentionLines(items: readonly Attention[]): string[] {
  if (items.length === 0) return [];
  const heading = items.length === 1
    ? "1 connection needs attention:"
    : `${items.length} connections need attention:`;
  return [
    heading,
    ...items.flatMap((item) => [`  ${attentionLabel(item)}`, `    fix: ${item.fix}`]),
  ];
}

/** Counts of connections by status. */
export function countByStatus(
  connections: readonly Connection[],
): { total: number; connected: number; expired: number; invalid: number } {
  const count = (status: string) => connections.filter((c) => c.status === status).length;
  return {
    total: connections.length,
    connected: count("connected"),
    expired: count("expired"),
    invalid: count("invalid"),
  };
}
