/**
 * What `get` loads on every call (a structural check; its speed is `deno task bench`'s job):
 * the modules statically reachable from `cli.ts` exclude the OAuth flows, the proxy, the daemon
 * server, the provider catalogue and the debug logger, and `deno.json` keeps Deno from reading
 * the modules behind literal `import()`s at start-up.
 */
import assert from "node:assert/strict";

Deno.test.sanitizer?.({ ops: true, resources: true });

const repo = new URL("../..", import.meta.url);

interface GraphModule {
  specifier: string;
  dependencies?: { code?: { specifier: string }; isDynamic?: boolean }[];
}

async function staticGraph(): Promise<string[]> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", "cli.ts"],
    cwd: repo,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  const info = JSON.parse(new TextDecoder().decode(out.stdout)) as {
    roots: string[];
    modules: GraphModule[];
  };
  const bySpecifier = new Map(info.modules.map((m) => [m.specifier, m]));
  const seen = new Set<string>();
  const stack = [...info.roots];
  while (stack.length > 0) {
    const specifier = stack.pop()!;
    if (seen.has(specifier)) continue;
    seen.add(specifier);
    for (const dep of bySpecifier.get(specifier)?.dependencies ?? []) {
      if (!dep.isDynamic && dep.code) stack.push(dep.code.specifier);
    }
  }
  return [...seen].map((s) => s.startsWith(repo.href) ? s.slice(repo.href.length) : s).sort();
}

Deno.test("the get path statically loads no OAuth, proxy, daemon server, catalogue or logger code", async () => {
  const modules = await staticGraph();
  assert.ok(modules.includes("src/commands/get.ts"), modules.join("\n"));
  assert.ok(modules.includes("src/vault/vault.ts"));
  const heavy = modules.filter((path) =>
    /^src\/(oauth|run|providers)\//.test(path) ||
    /^src\/daemon\/(serve|handler|connect)\.ts$/.test(path) ||
    /^src\/log\/(logger|redact|rotating_file)\.ts$/.test(path) ||
    /^src\/auth\/(refresh|login_.*|export|doctor)\.ts$/.test(path)
  );
  assert.deepEqual(heavy, [], "loaded lazily instead");
});

Deno.test("the get path statically imports no node: or npm: module (Deno's Node layer costs tens of ms)", async () => {
  const modules = await staticGraph();
  assert.deepEqual(modules.filter((path) => /^(node|npm):/.test(path)), []);
});

Deno.test("the bundle deno task install builds imports no node: module statically", async () => {
  // One file holds every module there, dynamic imports included: a static `node:` import in
  // any of them would be hoisted into every start-up of the installed command.
  const dir = await Deno.makeTempDir({ prefix: "authsome-bundle-" });
  try {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["bundle", "--quiet", "-o", `${dir}/authsome.js`, "cli.ts"],
      cwd: repo,
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    const bundle = await Deno.readTextFile(`${dir}/authsome.js`);
    const hoisted = bundle.match(/^\s*import\b[^;(]*["'](node|npm):[^"']+["']/gm) ?? [];
    assert.deepEqual(hoisted, []);
    assert.match(bundle, /import\(\s*["']node:tls["']\s*\)/, "node:tls stays a dynamic import");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("deno.json keeps lazily imported modules out of start-up", async () => {
  const config = JSON.parse(await Deno.readTextFile(new URL("deno.json", repo)));
  assert.ok(config.unstable?.includes("lazy-dynamic-imports"));
});
