import assert from "node:assert/strict";
import { renderCommandHelp, renderTopHelp } from "../../src/commands/help.ts";
import type { CommandSpec } from "../../src/commands/spec.ts";
import { SAMPLE_COMMANDS } from "./_sample_table.ts";

function command(name: string): CommandSpec {
  const spec = SAMPLE_COMMANDS.find((c) => c.name === name);
  assert.ok(spec, name);
  return spec;
}

/** The lines of `section` (from its title to the next blank line), without the title. */
function section(text: string, title: string): string[] {
  const lines = text.split("\n");
  const start = lines.indexOf(title);
  assert.ok(start >= 0, `no section ${title}`);
  const end = lines.indexOf("", start);
  return lines.slice(start + 1, end);
}

function assertTidy(text: string): void {
  for (const line of text.split("\n")) {
    assert.ok(line.length <= 100, `line too long: ${line}`);
    assert.equal(line, line.trimEnd(), `trailing space: ${JSON.stringify(line)}`);
  }
  assert.ok(!text.includes("undefined"));
}

Deno.test("renderTopHelp() says what authsome is and how to call it", () => {
  const text = renderTopHelp(SAMPLE_COMMANDS, "1.2.3");
  assert.match(text, /^authsome 1\.2\.3\n.*OAuth2.*API keys.*encrypted vault/);
  assert.match(text, /Usage:\n {2}authsome <command> \[arguments\] \[flags\]/);
  assert.match(text, /authsome <command> --help/);
  assertTidy(text);
});

Deno.test("renderTopHelp() lists every command with its synopsis and summary", () => {
  const rows = section(renderTopHelp(SAMPLE_COMMANDS, "1.2.3"), "Commands:");
  const expected: [string, string][] = [
    ["init", "Create the home, key and vault"],
    ["inspect <provider>", "Show a provider definition"],
    ["login <provider>", "Log in to a provider"],
    ["register <file>", "Install a custom provider"],
    ["export [provider]", "Print credentials as environment variables"],
    ["run [--] <command> [args...]", "Run a command with credentials injected"],
    ["daemon start", "Start the daemon in the background"],
    ["daemon status", "Show whether the daemon runs"],
    ["completions <shell>", "Print a shell completion script"],
  ];
  for (const [term, summary] of expected) {
    assert.ok(rows.some((row) => row.startsWith(`  ${term} `) && row.endsWith(summary)), term);
  }
  assert.equal(rows.length, SAMPLE_COMMANDS.length - 1 + 4);
  assert.ok(!rows.some((row) => /^ {2}daemon {2}/.test(row)), "groups are listed by sub-command");
});

Deno.test("renderTopHelp() aligns commands and global flags in one column", () => {
  const text = renderTopHelp(SAMPLE_COMMANDS, "1.2.3");
  const rows = [...section(text, "Commands:"), ...section(text, "Global flags:")];
  const columns = new Set(rows.map((row) => row.match(/^\s*\S.*?\s{3,}(?=\S)/)?.[0].length));
  assert.equal(columns.size, 1, rows.join("\n"));
});

Deno.test("renderTopHelp() lists the global flags and the exit codes", () => {
  const text = renderTopHelp(SAMPLE_COMMANDS, "1.2.3");
  const flags = section(text, "Global flags:").join("\n");
  for (const flag of ["--json", "--quiet", "--no-color", "--verbose", "--profile <name>"]) {
    assert.ok(flags.includes(flag), flag);
  }
  assert.match(flags, /--log-file <path> +write the debug log here \(""/);
  assert.match(flags, /-h, --help/);
  assert.match(flags, /-v, --version/);
  const codes = section(text, "Exit codes:").map((row) => row.trim().split(/\s+/)[0]);
  assert.deepEqual(codes, ["0", "1", "2", "3", "4", "5", "6", "7", "9", "130"]);
});

Deno.test("renderCommandHelp() documents a command with arguments, flags and examples", () => {
  const text = renderCommandHelp(["login"], command("login"));
  assert.ok(
    text.startsWith("Usage: authsome login <provider> [flags]\n\nRuns the provider's flow"),
  );
  assert.deepEqual(section(text, "Arguments:").map((row) => row.trim().split(/ {3,}/)), [
    ["<provider>", "Provider name, e.g. github"],
  ]);
  const flags = section(text, "Flags:");
  assert.match(
    flags[0],
    /^ {6}--flow <flow> +Login flow \(one of: pkce, device_code, dcr_pkce, api_key\)$/,
  );
  assert.match(flags.join("\n"), /--connection <name> +Connection name/);
  assert.match(flags.join("\n"), /--force +Replace an existing connection$/m);
  assert.ok(section(text, "Global flags:").some((row) => row.includes("--json")));
  assert.deepEqual(section(text, "Examples:"), [
    "  $ authsome login github",
    "  $ authsome login github --flow device_code",
  ]);
  assertTidy(text);
});

Deno.test("renderCommandHelp() shows short aliases, defaults and optional arguments", () => {
  const log = renderCommandHelp(["log"], command("log"));
  assert.ok(log.startsWith("Usage: authsome log [flags]\n"));
  assert.match(log, /-n, --lines <n> +Number of entries \(default: 50\)/);
  assert.ok(!log.includes("Arguments:"));
  const exp = renderCommandHelp(["export"], command("export"));
  assert.ok(exp.startsWith("Usage: authsome export [provider] [flags]\n"));
  assert.match(exp, /<provider> +Provider name, e\.g\. github \(optional\)/);
  assert.match(
    exp,
    /--format <format> +Output format \(one of: env, shell, json; default: "env"\)/,
  );
});

Deno.test("renderCommandHelp() documents passthrough and repeatable flags", () => {
  const text = renderCommandHelp(["run"], command("run"));
  assert.ok(text.startsWith("Usage: authsome run [flags] [--] <command> [args...]\n"));
  assert.match(text, /Command to run:\n {2}<command> \[args\.\.\.\] +The command to run/);
  assert.match(text, /--provider <name> +Inject this provider only \(repeatable\)/);
});

Deno.test("renderCommandHelp() lists the sub-commands of a group", () => {
  const daemon = command("daemon");
  const text = renderCommandHelp(["daemon"], daemon);
  assert.ok(text.startsWith("Usage: authsome daemon <command>\n"));
  const rows = section(text, "Commands:").map((row) => row.trim().split(/ {3,}/)[0]);
  assert.deepEqual(rows, ["serve", "start", "stop", "status"]);
  assert.match(text, /Run "authsome daemon <command> --help"/);
  const start = daemon.subcommands?.find((c) => c.name === "start");
  assert.ok(start);
  const sub = renderCommandHelp(["daemon", "start"], start);
  assert.ok(sub.startsWith("Usage: authsome daemon start [flags]\n"));
  assert.match(sub, /--port <port> +TCP port/);
});

Deno.test("renderCommandHelp() wraps long descriptions under their column", () => {
  const long = "word ".repeat(40).trim();
  const spec: CommandSpec = {
    name: "x",
    summary: "x",
    args: [],
    flags: [{ name: "wide", type: "boolean", description: long }],
    examples: [],
  };
  const text = renderCommandHelp(["x"], spec);
  const rows = section(text, "Flags:");
  assert.ok(rows.length > 1);
  const column = rows[0].indexOf("word");
  for (const row of rows.slice(1)) assert.equal(row.search(/\S/), column);
  assertTidy(text);
});

Deno.test("help renders every command of the sample table tidily", () => {
  for (const spec of SAMPLE_COMMANDS) {
    assertTidy(renderCommandHelp([spec.name], spec));
    for (const sub of spec.subcommands ?? []) {
      assertTidy(renderCommandHelp([spec.name, sub.name], sub));
    }
  }
});
