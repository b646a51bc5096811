/**
 * `authsome import [--from <dir>]`: copies the Python authsome's connections and custom
 * providers into the vault, and says what it imported and what it skipped and why.
 *
 * @module
 */
import { type ImportedItem, importPredecessor } from "../auth/import.ts";
import { type Invocation, stringFlag } from "./invocation.ts";

function describe(item: ImportedItem): string {
  const profile = item.profile && item.profile !== "default" ? ` [profile ${item.profile}]` : "";
  switch (item.kind) {
    case "connection":
      return `connection        ${item.provider} (${item.connection})${profile}`;
    case "client":
      return `OAuth client      ${item.provider}${profile}`;
    case "default_connection":
      return `default           ${item.provider} -> ${item.connection}${profile}`;
    case "provider":
      return `custom provider   ${item.provider}`;
  }
}

/** Runs `import`. */
export async function run(invocation: Invocation): Promise<number> {
  const { ctx, out } = invocation;
  const report = await importPredecessor(ctx, { from: stringFlag(invocation, "from") });
  const connections = report.imported.filter((i) => i.kind === "connection").length;
  if (out.json) {
    out.jsonValue({
      schema_version: 1,
      source: report.source,
      imported: report.imported,
      skipped: report.skipped,
      providers_in_place: report.providersInPlace,
    });
    return 0;
  }
  const nothingThere = report.imported.length === 0 && report.skipped.length === 0 &&
    report.providersInPlace.length === 0;
  if (nothingThere) {
    out.line(`Nothing to import: ${report.source} holds no files of the Python authsome.`);
    return 0;
  }
  if (report.imported.length > 0) {
    out.line(`Imported from ${report.source} (Python authsome):`);
    for (const item of report.imported) out.line(`  ${describe(item)}`);
  }
  if (report.providersInPlace.length > 0) {
    out.line(`Custom providers used in place: ${report.providersInPlace.join(", ")}`);
  }
  if (report.skipped.length > 0) {
    out.line("Skipped:");
    for (const { item, reason } of report.skipped) out.line(`  ${item}: ${reason}`);
  }
  const summary = report.imported.length === 0
    ? "Nothing new to import."
    : `Imported ${connections} connection${connections === 1 ? "" : "s"}.`;
  out.line(
    `${summary} ${report.skipped.length} skipped. The Python authsome's files were left ` +
      "untouched; run authsome import again at any time.",
  );
  if (connections > 0) out.line("Next: authsome list");
  return 0;
}
