/**
 * The README stays true: every command of the CLI is in its command table with an example, every
 * exit code is in its exit-code table, every file it links to exists, and the code's citations of
 * the contract point at a file in this repository.
 */
import assert from "node:assert/strict";
import { COMMANDS } from "../src/commands/table.ts";
import { ExitCode } from "../src/errors.ts";

const root = new URL("../", import.meta.url);
const readme = Deno.readTextFileSync(new URL("README.md", root));

function sectionOf(markdown: string, heading: string): string {
  const start = markdown.indexOf(`\n## ${heading}\n`);
  assert.ok(start >= 0, `README has no "## ${heading}" section`);
  const end = markdown.indexOf("\n## ", start + 1);
  return markdown.slice(start, end === -1 ? undefined : end);
}

Deno.test("README: every command has a row with an example in the command table", () => {
  const table = sectionOf(readme, "Commands");
  const missing = COMMANDS.filter((command) =>
    !table.split("\n").some((row) =>
      row.startsWith(`| \`${command.name}`) && row.includes(`\`authsome ${command.name}`)
    )
  ).map((command) => command.name);
  assert.deepEqual(missing, [], `commands missing from the README table: ${missing.join(", ")}`);
});

Deno.test("README: every exit code is in the exit-code table", () => {
  const table = sectionOf(readme, "Exit codes");
  const missing = Object.values(ExitCode).filter((code) =>
    !new RegExp(`^\\| ${code} +\\|`, "m").test(table)
  );
  assert.deepEqual(missing, []);
});

Deno.test("README and docs/: every relative link points at a file that exists", () => {
  const documents = [
    "README.md",
    ...[...Deno.readDirSync(new URL("docs/", root))].map((entry) => `docs/${entry.name}`),
  ];
  const broken: string[] = [];
  for (const document of documents) {
    const text = Deno.readTextFileSync(new URL(document, root));
    for (const [, target] of text.matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)) {
      if (/^[a-z]+:/.test(target)) continue;
      try {
        Deno.statSync(new URL(target, new URL(document, root)));
      } catch {
        broken.push(`${document} -> ${target}`);
      }
    }
  }
  assert.deepEqual(broken, []);
});

Deno.test("source files cite the contract that is in the repository (docs/contract.md)", () => {
  const contract = Deno.readTextFileSync(new URL("docs/contract.md", root));
  const stale: string[] = [];
  let cited = 0;
  const walk = (directory: URL, relative: string) => {
    for (const entry of Deno.readDirSync(directory)) {
      if (entry.name === "node_modules") continue;
      const path = `${relative}${entry.name}`;
      if (entry.isDirectory) walk(new URL(`${entry.name}/`, directory), `${path}/`);
      else if (entry.name.endsWith(".ts")) {
        const text = Deno.readTextFileSync(new URL(entry.name, directory));
        if (new RegExp("CONTRACT" + " §").test(text)) stale.push(path);
        for (const [, section] of text.matchAll(/docs\/contract\.md §(\d+)/g)) {
          cited++;
          if (!contract.includes(`\n## ${section}. `)) stale.push(`${path} (§${section})`);
        }
      }
    }
  };
  for (const folder of ["src", "tests", "scripts"]) walk(new URL(`${folder}/`, root), `${folder}/`);
  assert.ok(cited > 20, `only ${cited} citations of docs/contract.md found`);
  assert.deepEqual(stale, []);
});
