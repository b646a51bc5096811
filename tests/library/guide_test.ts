/**
 * docs/library.md, run as a newcomer would: the CLI logs in to `openai` in a temp home, then every
 * TypeScript example of the guide is type-checked and run as its own program (with the
 * permissions the guide names, not `-A`), and prints what its `// ->` comments say.
 *
 * The examples call `https://api.openai.com`; a stub `fetch` prepended to each program answers
 * for that host only, 200 when the request carries the stored key as `Authorization: Bearer`,
 * else 401, so the example proves the header is right without leaving the machine.
 */
import assert from "node:assert/strict";
import { cliEnv, runCli, runProcess } from "../e2e/_cli.ts";
import { tempHome } from "../_fakes/platform.ts";

Deno.test.sanitizer?.({ ops: true, resources: true });

const GUIDE = new URL("../../docs/library.md", import.meta.url);
const MOD = new URL("../../mod.ts", import.meta.url).href;
const KEY = "sk-guide0123456789abcdefghijKLMNOP";
const PERMISSIONS = [
  "--allow-env",
  "--allow-read",
  "--allow-write",
  "--allow-net",
  "--allow-sys=uid",
];

const STUB = `export {};
const realFetch = globalThis.fetch;
globalThis.fetch = (input: RequestInfo | URL, init?: RequestInit) => {
  const request = new Request(input, init);
  if (new URL(request.url).host !== "api.openai.com") return realFetch(input, init);
  const ok = request.headers.get("authorization") === "Bearer " + Deno.env.get("GUIDE_KEY");
  return Promise.resolve(new Response(ok ? "{}" : "unauthorized", { status: ok ? 200 : 401 }));
};
`;

interface Example {
  line: number;
  code: string;
  expected: string[];
}

/** The guide's ```ts blocks with the output their `// ->` comments promise. */
function examples(markdown: string): Example[] {
  const out: Example[] = [];
  const block = /^```ts\n([\s\S]*?)^```$/gm;
  for (const match of markdown.matchAll(block)) {
    const code = match[1];
    const expected = [...code.matchAll(/^\/\/ -> (.*)$/gm)].map((m) => m[1]);
    out.push({ line: markdown.slice(0, match.index).split("\n").length, code, expected });
  }
  return out;
}

Deno.test("every example in docs/library.md type-checks, runs, and prints what it says", async () => {
  const markdown = await Deno.readTextFile(GUIDE);
  const found = examples(markdown);
  assert.ok(found.length >= 5, `only ${found.length} examples found`);
  await using dir = await tempHome();
  const login = await runCli(["login", "openai"], {
    home: dir.home,
    env: { OPENAI_API_KEY: KEY },
  });
  assert.equal(login.code, 0, login.stderr);

  const work = await Deno.makeTempDir({ prefix: "authsome-guide-" });
  try {
    await Deno.writeTextFile(`${work}/stub_fetch.ts`, STUB);
    const files = [];
    for (const [i, example] of found.entries()) {
      const program = example.code.replaceAll(`from "./mod.ts"`, `from "${MOD}"`);
      const path = `${work}/example_${i + 1}.ts`;
      // Imported first, so the stub is in place before the example's code runs.
      await Deno.writeTextFile(path, `import "./stub_fetch.ts";\n${program}`);
      files.push(path);
    }
    const check = await runProcess(Deno.execPath(), {
      args: ["check", "--no-lock", "--no-config", ...files],
      cwd: work,
    });
    assert.equal(check.code, 0, check.stderr);
    const runs = await Promise.all(files.map((file) =>
      runProcess(Deno.execPath(), {
        args: ["run", ...PERMISSIONS, "--no-lock", "--no-config", file],
        clearEnv: true,
        env: cliEnv(dir.home, { GUIDE_KEY: KEY }),
        cwd: work,
      })
    ));
    for (const [i, example] of found.entries()) {
      const run = runs[i];
      const where = `docs/library.md example at line ${example.line}`;
      assert.equal(run.code, 0, `${where} failed:\n${run.stderr}`);
      assert.deepEqual(run.stdout.trimEnd().split("\n"), example.expected, where);
      assert.ok(!`${run.stdout}${run.stderr}`.includes(KEY.slice(3)), `${where} leaked the key`);
    }
  } finally {
    await Deno.remove(work, { recursive: true });
  }
});
