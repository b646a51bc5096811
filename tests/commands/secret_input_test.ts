import assert from "node:assert/strict";
import type { SecretRequest } from "../../src/auth/login_api_key.ts";
import { Output } from "../../src/commands/output.ts";
import { terminalSecretCollector } from "../../src/commands/secret_input.ts";
import { type FakePlatform, fakePlatform } from "../_fakes/platform.ts";

Deno.test.sanitizer?.({ ops: true, resources: true });

const REQUEST: SecretRequest = {
  provider: "acme",
  displayName: "Acme",
  label: "API key",
  envVar: "ACME_API_KEY",
  hint: "Acme keys start with acme_",
  docs: "https://acme.test/keys",
};

/** Terminal-only: no desktop, so the browser form is never offered. */
function setup(options: { env?: Record<string, string>; tty: boolean }) {
  const platform: FakePlatform = fakePlatform({
    env: { AUTHSOME_SECRET_INPUT: "terminal", ...options.env },
    stdinIsTerminal: options.tty,
  });
  let browserOpened = false;
  platform.openBrowser = () => {
    browserOpened = true;
    return Promise.resolve(false);
  };
  const out = new Output(platform.terminal, { json: false, quiet: false, color: false });
  const collect = terminalSecretCollector(platform, out);
  return { platform, collect, browserOpened: () => browserOpened };
}

Deno.test("the provider's environment variable comes first, without prompting", async () => {
  const { platform, collect } = setup({ env: { ACME_API_KEY: "acme_fromenv1" }, tty: true });
  platform.terminal.masked.push("acme_typed123");
  platform.terminal.stdin = "acme_piped456\n";
  const secret = await collect(REQUEST);
  assert.equal(secret.reveal(), "acme_fromenv1");
  assert.deepEqual(platform.terminal.masked, ["acme_typed123"], "no prompt was shown");
  assert.equal(platform.terminal.stderr, "Using the API key from $ACME_API_KEY.\n");
  assert.equal(platform.terminal.stdout, "");
});

Deno.test("a terminal gets a masked prompt, with the docs and hint on stderr", async () => {
  const { platform, collect, browserOpened } = setup({ tty: true });
  platform.terminal.masked.push("acme_typed123");
  platform.terminal.stdin = "acme_piped456\n";
  const secret = await collect(REQUEST);
  assert.equal(secret.reveal(), "acme_typed123");
  assert.equal(
    platform.terminal.stderr,
    "Get it at: https://acme.test/keys\nAcme keys start with acme_\nAcme API key: ",
  );
  assert.equal(platform.terminal.stdout, "");
  assert.ok(!platform.terminal.stderr.includes("acme_typed123"));
  assert.equal(browserOpened(), false);
});

Deno.test("an empty environment variable or one not declared falls through to the prompt", async () => {
  const { platform, collect } = setup({ env: { ACME_API_KEY: "" }, tty: true });
  platform.terminal.masked.push("acme_typed123", "acme_second99");
  assert.equal((await collect(REQUEST)).reveal(), "acme_typed123");
  const { envVar: _, ...withoutEnv } = REQUEST;
  platform.envVars.ACME_API_KEY = "acme_fromenv1";
  assert.equal((await collect(withoutEnv)).reveal(), "acme_second99");
});

Deno.test("piped stdin is read with one trailing newline removed, and nothing is printed", async () => {
  for (
    const [piped, expected] of [
      ["acme_piped456\n", "acme_piped456"],
      ["acme_piped456\r\n", "acme_piped456"],
      ["acme_piped456", "acme_piped456"],
      ["acme_piped456\n\n", "acme_piped456\n"],
    ]
  ) {
    const { platform, collect } = setup({ tty: false });
    platform.terminal.masked.push("acme_typed123");
    platform.terminal.stdin = piped;
    const secret = await collect(REQUEST);
    assert.equal(secret.reveal(), expected);
    assert.deepEqual(platform.terminal.masked, ["acme_typed123"], "no prompt on a pipe");
    assert.equal(platform.terminal.stderr, "");
    assert.equal(platform.terminal.stdout, "");
  }
});

Deno.test("a browser that cannot open falls back to the masked prompt with a warning", async () => {
  const { platform, collect, browserOpened } = setup({
    env: { AUTHSOME_SECRET_INPUT: "browser" },
    tty: true,
  });
  platform.terminal.masked.push("acme_typed123");
  const secret = await collect(REQUEST);
  assert.equal(secret.reveal(), "acme_typed123");
  assert.equal(browserOpened(), true);
  assert.match(
    platform.terminal.stderr,
    /Opening your browser for secure input: http:\/\/127\.0\.0\.1:/,
  );
  assert.match(
    platform.terminal.stderr,
    /Warning: could not open a browser for the secure input form; asking here instead\./,
  );
  assert.match(platform.terminal.stderr, /Acme API key: $/);
  assert.ok(!platform.terminal.stderr.includes("acme_typed123"));
});
