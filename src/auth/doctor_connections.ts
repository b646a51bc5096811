/**
 * The `connections` rows of `doctor`: one failing row per `invalid` connection and one warning
 * row per `expired` one, each with the command that fixes that connection; one passing row when
 * every connection in every profile is `connected`.
 *
 * @module
 */
import { connectionFromData } from "../model/connection.ts";
import type { AuthsomeContext } from "./context.ts";
import type { CheckResult } from "./doctor.ts";
import { fixCommand } from "./recovery.ts";

const NAME = "connections";

/** Checks the stored connections of every profile. Read-only. */
export async function connectionChecks(ctx: AuthsomeContext): Promise<CheckResult[]> {
  let records;
  try {
    const snapshot = await ctx.vault.read();
    if (!snapshot.header) return [];
    records = await snapshot.list("connection/");
  } catch {
    // The vault row already reports why the vault cannot be read.
    return [];
  }
  const connections = [...records.values()].map(connectionFromData).sort((a, b) =>
    a.profile.localeCompare(b.profile) || a.provider.localeCompare(b.provider) ||
    a.connectionName.localeCompare(b.connectionName)
  );
  const bad = connections.filter((c) => c.status !== "connected");
  if (bad.length === 0) {
    const profiles = new Set(connections.map((c) => c.profile)).size;
    return [{
      name: NAME,
      ok: true,
      detail: connections.length === 0 ? "none stored yet" : `${connections.length} connected` +
        (profiles > 1 ? ` across ${profiles} profiles` : ""),
    }];
  }
  return bad.map((c) => {
    const where = c.profile === "default" ? "" : `, profile ${c.profile}`;
    const why = c.lastRefreshError ? ` (${c.lastRefreshError})` : "";
    return {
      name: NAME,
      // An expired connection retries on its next use and may recover by itself: a warning.
      ok: c.status === "expired",
      warning: c.status === "expired" ? true : undefined,
      detail: `${c.provider} (${c.connectionName}${where}) is ${c.status}${why}`,
      hint: fixCommand(c) ?? undefined,
    };
  });
}
