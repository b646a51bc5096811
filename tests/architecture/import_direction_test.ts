/**
 * The layering of `src/` (the brief's "one import direction"), checked on the source text:
 *
 *   cli.ts (and the library's mod.ts) -> src/commands/ -> src/daemon/, src/run/ -> src/auth/ (use cases)
 *     -> src/oauth/, src/vault/, src/providers/, src/audit/, src/log/
 *     -> src/model/, src/errors.ts, src/platform/ (and src/version.ts)
 *
 * A module may import from its own folder and from any layer below its own, never from a layer
 * above it nor from a sibling folder of its own layer (except in the bottom layer, which is the
 * shared vocabulary). Static imports, re-exports, `import type` and literal dynamic `import()`s
 * all count: a lazy import is still a dependency. `Deno.*` appears only under `src/platform/`.
 * A failure prints each offending edge as `file:line imports target (layer -> layer)`.
 */
import assert from "node:assert/strict";

Deno.test.sanitizer?.({ ops: true, resources: true });

const repo = new URL("../..", import.meta.url);

/** Layers, top first. A path's layer is the first entry whose prefix it starts with. */
const LAYERS: { name: string; prefixes: string[] }[] = [
  { name: "entry", prefixes: ["cli.ts", "mod.ts"] },
  { name: "commands", prefixes: ["src/commands/"] },
  { name: "daemon", prefixes: ["src/daemon/"] },
  // Grants are served by the daemon and enforced by a proxy built from run's parts.
  { name: "grants", prefixes: ["src/grants/"] },
  { name: "run", prefixes: ["src/run/"] },
  { name: "auth", prefixes: ["src/auth/"] },
  {
    name: "services",
    prefixes: [
      "src/oauth/",
      "src/vault/",
      "src/providers/",
      "src/audit/",
      "src/log/",
      "src/migrate/",
    ],
  },
  {
    name: "base",
    prefixes: ["src/model/", "src/errors.ts", "src/platform/", "src/version.ts"],
  },
];
/** The bottom layer's folders may use each other: they are the vocabulary everything shares. */
const SHARED_LAYER = "base";

/**
 * Edges that break the rule on purpose, with the reason. Keep this list short and explained;
 * an entry that no longer matches any edge fails the test, so it cannot go stale.
 */
const KNOWN_EXCEPTIONS: { from: string; to: string; reason: string }[] = [];

interface Edge {
  from: string;
  to: string;
  line: number;
  dynamic: boolean;
}

function layerOf(path: string): { index: number; name: string; folder: string } | null {
  for (const [index, layer] of LAYERS.entries()) {
    const prefix = layer.prefixes.find((p) => path === p || path.startsWith(p));
    if (prefix) return { index, name: layer.name, folder: prefix };
  }
  return null;
}

async function sourceFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const entry of Deno.readDir(new URL(dir, repo))) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory) out.push(...await sourceFiles(path));
    else if (entry.name.endsWith(".ts")) out.push(path);
  }
  return out.sort();
}

/** Blanks comments (keeping line breaks, so line numbers stay right). */
function withoutComments(text: string): string {
  return text
    .replace(/\/\*[\s\S]*?\*\//g, (comment) => comment.replace(/[^\n]/g, " "))
    .replace(/(^|[^:"'`\\])\/\/.*$/gm, "$1");
}

const STATIC = /^[ \t]*(?:import|export)\b[^;"'`]*?\bfrom\s*["']([^"']+)["']/gm;
const SIDE_EFFECT = /^[ \t]*import\s*["']([^"']+)["']/gm;
const DYNAMIC = /\bimport\s*\(\s*(["'`]?)([^"'`)]*)\1\s*[,)]/g;

/** Every relative import of one file, resolved to a repo path. */
function importsOf(path: string, text: string): { edges: Edge[]; opaque: string[] } {
  const code = withoutComments(text);
  const lineAt = (offset: number) => code.slice(0, offset).split("\n").length;
  const edges: Edge[] = [];
  const opaque: string[] = [];
  const add = (specifier: string, offset: number, dynamic: boolean) => {
    if (!specifier.startsWith(".")) return; // node:, npm: and friends are not layers
    const target = new URL(specifier, new URL(path, repo)).href.slice(repo.href.length);
    edges.push({ from: path, to: target, line: lineAt(offset), dynamic });
  };
  for (const m of code.matchAll(STATIC)) add(m[1], m.index!, false);
  for (const m of code.matchAll(SIDE_EFFECT)) add(m[1], m.index!, false);
  for (const m of code.matchAll(DYNAMIC)) {
    if (m[1] === "" || m[2].includes("${")) opaque.push(`${path}:${lineAt(m.index!)}`);
    else add(m[2], m.index!, true);
  }
  return { edges, opaque };
}

async function allEdges(): Promise<{ edges: Edge[]; opaque: string[] }> {
  const edges: Edge[] = [];
  const opaque: string[] = [];
  for (const path of ["cli.ts", "mod.ts", ...await sourceFiles("src")]) {
    const found = importsOf(path, await Deno.readTextFile(new URL(path, repo)));
    edges.push(...found.edges);
    opaque.push(...found.opaque);
  }
  return { edges, opaque };
}

/** Why an edge breaks the layering, or null when it is allowed. */
function violation(edge: Edge): string | null {
  const from = layerOf(edge.from);
  const to = layerOf(edge.to);
  if (!from) return `${edge.from} is in no layer (add it to LAYERS)`;
  if (!to) return `${edge.to} is in no layer (add it to LAYERS)`;
  if (from.folder === to.folder) return null;
  if (to.index > from.index) return null;
  if (to.index === from.index && from.name === SHARED_LAYER) return null;
  const way = to.index === from.index ? "sideways" : "upwards";
  return `imports ${way} (${from.name} -> ${to.name})`;
}

function describe(edge: Edge, why: string): string {
  const kind = edge.dynamic ? "dynamically imports" : "imports";
  return `${edge.from}:${edge.line} ${kind} ${edge.to}: ${why}`;
}

Deno.test("the import parser sees static, type-only, re-exported, multi-line and dynamic imports", () => {
  const text = [
    `/** import { x } from "../commands/not_real.ts"; */`,
    `import { a } from "./a.ts";`,
    `import type { B } from "../model/b.ts";`,
    `export { c } from "../oauth/c.ts";`,
    `import {`,
    `  d,`,
    `} from "../vault/d.ts";`,
    `// import { e } from "../run/e.ts";`,
    `const f = await import("../providers/f.ts");`,
    `const url = "https://example.test/x"; import "./side.ts";`,
  ].join("\n");
  const { edges } = importsOf("src/auth/sample.ts", text);
  assert.deepEqual(
    edges.map((e) => `${e.line} ${e.to}${e.dynamic ? " (dynamic)" : ""}`).sort(),
    [
      "2 src/auth/a.ts",
      "3 src/model/b.ts",
      "4 src/oauth/c.ts",
      "5 src/vault/d.ts",
      "9 src/providers/f.ts (dynamic)",
    ],
  );
});

Deno.test("the rule refuses upward and sideways edges and names them", () => {
  const edge = (from: string, to: string): Edge => ({ from, to, line: 1, dynamic: false });
  assert.equal(violation(edge("src/auth/a.ts", "src/oauth/b.ts")), null);
  assert.equal(violation(edge("src/model/a.ts", "src/errors.ts")), null);
  assert.equal(violation(edge("src/auth/a.ts", "src/auth/b.ts")), null);
  assert.equal(
    violation(edge("src/auth/a.ts", "src/run/b.ts")),
    "imports upwards (auth -> run)",
  );
  assert.equal(
    violation(edge("src/oauth/a.ts", "src/vault/b.ts")),
    "imports sideways (services -> services)",
  );
  assert.equal(
    violation(edge("src/run/a.ts", "src/daemon/b.ts")),
    "imports upwards (run -> daemon)",
  );
  assert.equal(violation(edge("src/daemon/a.ts", "src/run/b.ts")), null);
});

Deno.test("every import in src/ points down the layers (or is a listed exception)", async () => {
  const { edges } = await allEdges();
  assert.ok(edges.length > 200, `only ${edges.length} imports found: is the parser broken?`);
  const offending: string[] = [];
  const used = new Set<number>();
  for (const edge of edges) {
    const why = violation(edge);
    if (why === null) continue;
    const exception = KNOWN_EXCEPTIONS.findIndex((e) => e.from === edge.from && e.to === edge.to);
    if (exception >= 0) used.add(exception);
    else offending.push(describe(edge, why));
  }
  assert.deepEqual(offending, [], `imports against the layering:\n${offending.join("\n")}`);
  const stale = KNOWN_EXCEPTIONS.filter((_, i) => !used.has(i)).map((e) => `${e.from} -> ${e.to}`);
  assert.deepEqual(stale, [], "exceptions that no longer happen: remove them");
});

Deno.test("every dynamic import in src/ names its module literally (so the layering can see it)", async () => {
  const { opaque } = await allEdges();
  assert.deepEqual(opaque, []);
});

Deno.test("Deno.* is used only under src/platform/", async () => {
  const offending: string[] = [];
  const files = await sourceFiles("src");
  assert.ok(files.length > 100, `only ${files.length} source files found`);
  for (const path of files) {
    if (path.startsWith("src/platform/")) continue;
    // A string such as "Deno.customInspect" names a symbol; it is not a call into Deno.
    const code = withoutComments(await Deno.readTextFile(new URL(path, repo)))
      .replace(/"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'/g, '""');
    for (const [i, line] of code.split("\n").entries()) {
      if (/\bDeno\s*\.\s*[A-Za-z_]/.test(line)) offending.push(`${path}:${i + 1}: ${line.trim()}`);
    }
  }
  assert.deepEqual(offending, [], `Deno.* outside src/platform/:\n${offending.join("\n")}`);
});
