import assert from "node:assert/strict";
import { Output, type OutputOptions } from "../../src/commands/output.ts";
import { CredentialMissingError, RefreshError, VaultLockedError } from "../../src/errors.ts";
import { fakePlatform } from "../_fakes/platform.ts";

function output(options: Partial<OutputOptions> = {}) {
  const { terminal } = fakePlatform();
  const out = new Output(terminal, { json: false, quiet: false, color: false, ...options });
  return { out, terminal };
}

const MISSING = new CredentialMissingError(
  'no connection "default" for github in profile "default"',
  {
    hint: "authsome login github",
  },
);

Deno.test("--json errors are one JSON object {error, message, hint} on stdout", () => {
  const { out, terminal } = output({ json: true });
  assert.equal(out.error(MISSING), 5);
  assert.equal(terminal.stdout.split("\n").filter(Boolean).length, 1);
  assert.deepEqual(JSON.parse(terminal.stdout), {
    error: "credential_missing",
    message: 'no connection "default" for github in profile "default"',
    hint: "authsome login github",
  });
});

Deno.test("--json errors without a hint have no hint field", () => {
  const { out, terminal } = output({ json: true });
  assert.equal(out.error(new VaultLockedError("the vault is locked")), 7);
  assert.deepEqual(JSON.parse(terminal.stdout), {
    error: "vault_locked",
    message: "the vault is locked",
  });
});

Deno.test("human errors: 'Error: <message>' and each hint line indented on stderr", () => {
  const { out, terminal } = output();
  const error = new RefreshError("refresh failed for github (default): invalid_grant", {
    hint:
      "authsome revoke github     # clear local state\nauthsome login github      # re-run the flow",
  });
  assert.equal(out.error(error), 6);
  assert.equal(terminal.stdout, "");
  assert.equal(
    terminal.stderr,
    "Error: refresh failed for github (default): invalid_grant\n" +
      "  authsome revoke github     # clear local state\n" +
      "  authsome login github      # re-run the flow\n",
  );
});

Deno.test("an unexpected error is exit 1 with code 'failure'", () => {
  const { out, terminal } = output({ json: true });
  assert.equal(out.error(new TypeError("boom")), 1);
  assert.deepEqual(JSON.parse(terminal.stdout), {
    error: "failure",
    message: "unexpected error: boom",
  });
  const human = output();
  assert.equal(human.out.error("thrown string"), 1);
  assert.equal(human.terminal.stderr, "Error: unexpected error: thrown string\n");
});

Deno.test("--quiet silences human lines, notes and warnings", () => {
  const { out, terminal } = output({ quiet: true });
  out.line("Logged in to github.");
  out.note("Opening the browser...");
  out.warn("refresh failed; using the stored token");
  assert.equal(terminal.stdout, "");
  assert.equal(terminal.stderr, "");
});

Deno.test("--quiet does not hide errors: the message and the fix still reach stderr", () => {
  const { out, terminal } = output({ quiet: true });
  assert.equal(out.error(MISSING), 5);
  assert.equal(terminal.stdout, "");
  assert.equal(
    terminal.stderr,
    'Error: no connection "default" for github in profile "default"\n  authsome login github\n',
  );
});

Deno.test("--quiet still prints data and JSON", () => {
  const { out, terminal } = output({ quiet: true });
  out.data("gho_token_value");
  out.data("A=1\n");
  out.jsonValue({ status: "connected" });
  assert.equal(terminal.stdout, 'gho_token_value\nA=1\n{\n  "status": "connected"\n}\n');
  const json = output({ quiet: true, json: true });
  json.out.error(MISSING);
  assert.deepEqual(JSON.parse(json.terminal.stdout), {
    error: "credential_missing",
    message: 'no connection "default" for github in profile "default"',
    hint: "authsome login github",
  });
});

Deno.test("--json keeps human lines and notes off stdout; warnings go to stderr", () => {
  const { out, terminal } = output({ json: true });
  out.line("Logged in.");
  out.note("progress");
  out.jsonValue({ ok: true });
  out.warn("careful");
  assert.deepEqual(JSON.parse(terminal.stdout), { ok: true });
  assert.equal(terminal.stderr, "Warning: careful\n");
});

Deno.test("line, data and note go to the right stream with one newline", () => {
  const { out, terminal } = output();
  out.line("hello");
  out.line();
  out.data("value");
  out.data("");
  out.note("to stderr");
  assert.equal(terminal.stdout, "hello\n\nvalue\n");
  assert.equal(terminal.stderr, "to stderr\n");
});

Deno.test("colour only when enabled", () => {
  const plain = output();
  plain.out.warn("w");
  plain.out.error(MISSING);
  assert.ok(!plain.terminal.stderr.includes("\x1b["), JSON.stringify(plain.terminal.stderr));
  assert.equal(plain.out.paint("green", "ok"), "ok");
  const coloured = output({ color: true });
  coloured.out.warn("w");
  coloured.out.error(MISSING);
  assert.ok(coloured.terminal.stderr.includes("\x1b[33mWarning:\x1b[0m w\n"));
  assert.ok(coloured.terminal.stderr.includes("\x1b[31mError:\x1b[0m no connection"));
  assert.equal(coloured.out.paint("green", "ok"), "\x1b[32mok\x1b[0m");
  // JSON never carries colour codes.
  const json = output({ color: true, json: true });
  json.out.error(MISSING);
  assert.ok(!json.terminal.stdout.includes("\x1b["));
});

Deno.test("table() aligns columns to the widest cell, with a rule under the headers", () => {
  const { out } = output();
  const text = out.table(["PROVIDER", "STATUS", "EXPIRES"], [
    ["github", "connected", "expires in 3h"],
    ["openai-long-name", "-", ""],
  ]);
  assert.equal(
    text,
    [
      "PROVIDER          STATUS     EXPIRES",
      "----------------  ---------  -------------",
      "github            connected  expires in 3h",
      "openai-long-name  -",
    ].join("\n"),
  );
  // Every column after the first starts at the same offset on every line.
  const lines = text.split("\n");
  const offset = lines[0].indexOf("STATUS");
  for (const line of lines) assert.notEqual(line[offset - 1], undefined);
  assert.equal(lines[2].indexOf("connected"), offset);
  // No trailing spaces.
  for (const line of lines) assert.equal(line, line.trimEnd());
});

Deno.test("table() with no rows prints the headers and the rule", () => {
  const { out } = output();
  assert.equal(out.table(["A", "BB"], []), "A  BB\n-  --");
});

Deno.test("table() aligns coloured cells by what shows, not by their escape codes", () => {
  const { out } = output({ color: true });
  const text = out.table(["CONN", "STATUS", "EXPIRES"], [
    ["default", out.status("connected"), "-"],
    ["ci", "not_connected", "-"],
    ["old", out.status("invalid"), "-"],
  ]);
  // deno-lint-ignore no-control-regex -- removing the colour codes to look at the layout
  const plain = text.replace(/\x1b\[[0-9;]*m/g, "").split("\n");
  const offset = plain[0].indexOf("EXPIRES");
  for (const line of plain.slice(2)) assert.equal(line.indexOf("-", offset - 1), offset, line);
  assert.ok(text.includes("\x1b[32mconnected\x1b[0m") && text.includes("\x1b[31minvalid\x1b[0m"));
});

Deno.test("--quiet silences chatter (line, note, warn) but never a result, data or JSON", () => {
  const { out, terminal } = output({ quiet: true });
  out.line("Logged in.");
  out.note("Waiting for the browser...");
  out.warn("refresh failed");
  assert.equal(terminal.stdout + terminal.stderr, "");
  out.result("Providers: 44 total");
  out.data("value");
  out.jsonValue({ ok: true });
  assert.equal(terminal.stdout, 'Providers: 44 total\nvalue\n{\n  "ok": true\n}\n');
});

Deno.test("result is not printed in --json mode, where the command prints JSON instead", () => {
  const { out, terminal } = output({ json: true });
  out.result("a table");
  assert.equal(terminal.stdout, "");
});
