/**
 * The browser opener keeps the URL (with its OAuth `state` or the form's one-time token) off
 * every command line, where other local users could read it, and opens only http(s) URLs.
 */
import assert from "node:assert/strict";
import { createBrowserOpener, redirectPage } from "../../src/platform/browser.ts";
import { openBrowser, removeOpenedPages } from "../../src/platform/deno_process.ts";

Deno.test.sanitizer?.({ ops: true, resources: true });

const LOGIN_URL =
  "https://auth.example.test/authorize?client_id=c&state=S3cr3tState&code_challenge=x";
const FORM_URL = "http://127.0.0.1:41234/9f2c0d1e5a7b4c3d8e6f1a2b3c4d5e6f";

function recordingOpener(env: Record<string, string> = {}, os = "linux") {
  const spawned: { argv: string[]; stdin: string }[] = [];
  const pages = new Map<string, string>();
  const forgotten: string[] = [];
  const open = createBrowserOpener({
    env: (name) => env[name],
    os,
    writePrivatePage(html) {
      const path = `/tmp/authsome-open-test/${pages.size}/open.html`;
      pages.set(path, html);
      return Promise.resolve(path);
    },
    forgetPage: (path) => void forgotten.push(path),
    spawn(argv, stdin) {
      spawned.push({ argv, stdin });
      return true;
    },
  });
  return { open, spawned, pages, forgotten };
}

Deno.test("the system opener gets a private page, never the URL, its state or its token", async () => {
  for (const [os, opener] of [["linux", ["xdg-open"]], ["darwin", ["open"]]] as const) {
    const { open, spawned, pages, forgotten } = recordingOpener({}, os);
    for (const url of [LOGIN_URL, FORM_URL]) assert.equal(await open(url), true);
    assert.equal(spawned.length, 2);
    for (const [i, { argv }] of spawned.entries()) {
      assert.deepEqual(argv.slice(0, -1), opener);
      const page = argv.at(-1)!;
      assert.ok(pages.has(page), "the last argument is the private page");
      const text = argv.join(" ");
      for (const secret of ["S3cr3tState", "9f2c0d1e5a7b4c3d8e6f1a2b3c4d5e6f", "127.0.0.1:41234"]) {
        assert.ok(!text.includes(secret), `argv ${i} leaks ${secret}: ${text}`);
      }
    }
    assert.ok(pages.get(spawned[0].argv.at(-1)!)!.includes("state=S3cr3tState"));
    assert.ok(pages.get(spawned[1].argv.at(-1)!)!.includes(FORM_URL));
    assert.deepEqual(forgotten, [...pages.keys()], "every page is scheduled for deletion");
  }
});

Deno.test("AUTHSOME_BROWSER gets the page as its argument and the URL on stdin", async () => {
  const { open, spawned } = recordingOpener({ AUTHSOME_BROWSER: "my-browser --private" });
  assert.equal(await open(LOGIN_URL), true);
  assert.deepEqual(spawned[0].argv.slice(0, 2), ["my-browser", "--private"]);
  assert.equal(spawned[0].argv.length, 3);
  assert.ok(!spawned[0].argv.join(" ").includes("S3cr3tState"));
  assert.equal(spawned[0].stdin, `${LOGIN_URL}\n`);
});

Deno.test("only http(s) URLs reach the opener", async () => {
  const { open, spawned } = recordingOpener();
  for (
    const url of [
      "file:///etc/passwd",
      "javascript:alert(1)",
      "vscode://x/y",
      "smb://attacker/share",
      "/relative/path",
      "-–help",
      "",
    ]
  ) {
    assert.equal(await open(url), false, url);
  }
  assert.equal(spawned.length, 0);
  assert.equal(await open("HTTPS://EXAMPLE.TEST/x"), true);
});

Deno.test("AUTHSOME_BROWSER=none opens nothing and writes no page", async () => {
  const { open, spawned, pages } = recordingOpener({ AUTHSOME_BROWSER: "none" });
  assert.equal(await open(LOGIN_URL), false);
  assert.equal(spawned.length + pages.size, 0);
});

Deno.test("the redirect page escapes the URL", () => {
  const page = redirectPage('https://x.test/?a=1&b="><script>');
  assert.ok(!page.includes("<script>"));
  assert.ok(page.includes("a=1&#38;b=&#34;&#62;&#60;script&#62;"));
  assert.match(page, /http-equiv="refresh" content="0;url=https:\/\/x\.test\//);
});

Deno.test({
  name: "the real opener: the command's argv holds a 0600 page, the URL arrives on stdin",
  fn: realOpenerTest,
});

async function realOpenerTest(): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "authsome-opener-" });
  const previous = Deno.env.get("AUTHSOME_BROWSER");
  try {
    // A "browser" that records what it was given.
    const script = `${dir}/browser.sh`;
    await Deno.writeTextFile(
      script,
      `#!/bin/sh\nprintf '%s\\n' "$@" > "${dir}/argv"\nls -l "$1" > "${dir}/mode"\ncat "$1" > "${dir}/page"\ncat > "${dir}/stdin"\n`,
    );
    await Deno.chmod(script, 0o700);
    Deno.env.set("AUTHSOME_BROWSER", script);
    assert.equal(await openBrowser(LOGIN_URL), true);
    for (let i = 0; i < 200 && !(await exists(`${dir}/stdin`, LOGIN_URL)); i++) {
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    const argv = await Deno.readTextFile(`${dir}/argv`);
    assert.ok(!argv.includes("S3cr3tState"), argv);
    assert.match(await Deno.readTextFile(`${dir}/mode`), /^-rw-------/);
    assert.ok((await Deno.readTextFile(`${dir}/page`)).includes("S3cr3tState"));
    assert.equal(await Deno.readTextFile(`${dir}/stdin`), `${LOGIN_URL}\n`);
    const page = argv.trim();
    removeOpenedPages();
    assert.equal(await exists(page, ""), false, "the page is deleted");
  } finally {
    if (previous === undefined) Deno.env.delete("AUTHSOME_BROWSER");
    else Deno.env.set("AUTHSOME_BROWSER", previous);
    await Deno.remove(dir, { recursive: true });
  }
}

async function exists(path: string, content: string): Promise<boolean> {
  try {
    return (await Deno.readTextFile(path)).includes(content);
  } catch {
    return false;
  }
}
