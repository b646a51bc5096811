import assert from "node:assert/strict";
import { GLOBAL_FLAGS, leafCommands, parseCommandLine } from "../../src/commands/args.ts";
import type { GlobalOptions, ParsedCommandLine } from "../../src/commands/spec.ts";
import { ExitCode, UsageError } from "../../src/errors.ts";
import { SAMPLE_COMMANDS } from "./_sample_table.ts";

const DEFAULT_GLOBALS: GlobalOptions = {
  json: false,
  quiet: false,
  noColor: false,
  verbose: false,
  help: false,
  version: false,
};

function parse(argv: string[]): ParsedCommandLine {
  return parseCommandLine(argv, SAMPLE_COMMANDS);
}

interface Accepted {
  argv: string[];
  path?: string[];
  args?: string[];
  flags?: ParsedCommandLine["flags"];
  rest?: string[];
  global?: Partial<GlobalOptions>;
}

const ACCEPTED: Accepted[] = [
  { argv: [], path: [], args: [], flags: {}, rest: [], global: {} },
  { argv: ["--version"], path: [], global: { version: true } },
  { argv: ["-v"], global: { version: true } },
  { argv: ["-h"], global: { help: true } },
  { argv: ["-hv"], global: { help: true, version: true } },
  { argv: ["list"], path: ["list"], args: [], flags: {} },
  { argv: ["get", "github"], args: ["github"], flags: { "show-secret": false } },
  {
    argv: ["get", "github", "--field", "status"],
    flags: { field: "status", "show-secret": false },
  },
  { argv: ["get", "github", "--field=status"], flags: { field: "status", "show-secret": false } },
  { argv: ["get", "--field", "status", "github"], args: ["github"] },
  { argv: ["get", "github", "--field=a=b"], flags: { field: "a=b", "show-secret": false } },
  { argv: ["get", "github", "--field=-x"], flags: { field: "-x", "show-secret": false } },
  { argv: ["get", "github", "--show-secret"], flags: { "show-secret": true } },
  { argv: ["--verbose", "get", "github"], args: ["github"], global: { verbose: true } },
  { argv: ["get", "github", "--verbose"], args: ["github"], global: { verbose: true } },
  { argv: ["get", "--json", "github", "--quiet"], global: { json: true, quiet: true } },
  { argv: ["--no-color", "list"], global: { noColor: true } },
  { argv: ["list", "--json=true"], global: { json: true } },
  { argv: ["list", "--json", "--no-json"], global: {} },
  { argv: ["list"], global: {} },
  { argv: ["--log-file", "", "list"], global: { logFile: "" } },
  { argv: ["--log-file=", "list"], global: { logFile: "" } },
  { argv: ["list", "--log-file", "/tmp/a.log"], global: { logFile: "/tmp/a.log" } },
  { argv: ["--profile", "work", "list"], global: { profile: "work" } },
  { argv: ["list", "--profile=work"], global: { profile: "work" } },
  { argv: ["log"], flags: { lines: 50, raw: false } },
  { argv: ["log", "-n", "5"], flags: { lines: 5, raw: false } },
  { argv: ["log", "-n5"], flags: { lines: 5, raw: false } },
  { argv: ["log", "-n=5"], flags: { lines: 5, raw: false } },
  { argv: ["log", "--lines", "7", "--raw"], flags: { lines: 7, raw: true } },
  // A negative count reaches the command, which says it must be positive (not "missing value").
  { argv: ["log", "-n", "-3"], flags: { lines: -3, raw: false } },
  { argv: ["--json", "log", "-n", "50"], flags: { lines: 50, raw: false }, global: { json: true } },
  {
    argv: ["login", "github", "--flow", "device_code", "--force", "--scopes", "repo,user"],
    flags: { flow: "device_code", force: true, scopes: "repo,user" },
  },
  { argv: ["login", "github", "--force", "--no-force"], flags: { force: false } },
  { argv: ["login", "github", "--force=false"], flags: { force: false } },
  {
    argv: ["login", "github", "--connection", "a", "--connection", "b"],
    flags: {
      connection: "b",
      force: false,
    },
  },
  { argv: ["export"], args: [], flags: { format: "env" } },
  { argv: ["export", "github", "--format", "json"], args: ["github"], flags: { format: "json" } },
  { argv: ["register", "-"], args: ["-"], flags: { force: false } },
  { argv: ["get", "--", "-weird-name"], args: ["-weird-name"] },
  { argv: ["get", "--", "--json"], args: ["--json"], global: {} },
  { argv: ["completions", "zsh"], path: ["completions"], args: ["zsh"] },
  { argv: ["daemon", "start"], path: ["daemon", "start"], args: [], flags: {} },
  {
    argv: ["--quiet", "daemon", "--json", "stop"],
    path: ["daemon", "stop"],
    global: {
      quiet: true,
      json: true,
    },
  },
  { argv: ["daemon", "start", "--port", "8080"], flags: { port: 8080 } },
  {
    argv: ["run", "--provider", "github", "--provider=openai", "--", "env", "--json", "-x"],
    path: ["run"],
    flags: { provider: ["github", "openai"] },
    rest: ["env", "--json", "-x"],
    global: {},
  },
  { argv: ["run", "--", "echo"], flags: { provider: [] }, rest: ["echo"] },
  { argv: ["--verbose", "run", "--", "--", "x"], rest: ["--", "x"], global: { verbose: true } },
  // Without `--`, the first non-flag word starts the child's command; what follows is its own.
  { argv: ["run", "echo", "hi"], rest: ["echo", "hi"] },
  {
    argv: ["run", "--provider", "openai", "python", "x.py", "--provider", "-v", "--", "y"],
    flags: { provider: ["openai"] },
    rest: ["python", "x.py", "--provider", "-v", "--", "y"],
  },
  { argv: ["--json", "run", "tool", "--json"], rest: ["tool", "--json"], global: { json: true } },
];

for (const c of ACCEPTED) {
  Deno.test(`parseCommandLine() accepts ${JSON.stringify(c.argv)}`, () => {
    const parsed = parse(c.argv);
    if (c.path) assert.deepEqual(parsed.path, c.path);
    if (c.args) assert.deepEqual(parsed.args, c.args);
    if (c.flags) assert.deepEqual(parsed.flags, c.flags);
    if (c.rest) assert.deepEqual(parsed.rest, c.rest);
    if (c.global) assert.deepEqual(parsed.global, { ...DEFAULT_GLOBALS, ...c.global });
    assert.equal(parsed.spec?.name, parsed.path.at(-1));
  });
}

const REJECTED: [argv: string[], message: string, hint: string][] = [
  [["lgoin"], 'unknown command "lgoin"', 'Did you mean "login"?'],
  [["exprot", "x"], 'unknown command "exprot"', 'Did you mean "export"?'],
  [["comp"], 'unknown command "comp"', 'Did you mean "completions"?'],
  [["xyzzy"], 'unknown command "xyzzy"', "Run: authsome --help"],
  [["daemon", "strat"], 'unknown command "daemon strat"', 'Did you mean "daemon start"?'],
  [
    ["daemon"],
    'missing subcommand for "daemon" (one of: serve, start, stop, status)',
    "Run: authsome daemon --help",
  ],
  [["get"], "missing argument <provider>", "Run: authsome get --help"],
  [["register"], "missing argument <file>", "Run: authsome register --help"],
  [["get", "a", "b"], 'unexpected argument "b"', "Run: authsome get --help"],
  [["list", "x"], 'unexpected argument "x"', "Run: authsome list --help"],
  [["get", "github", "--fild", "status"], 'unknown flag "--fild"', 'Did you mean "--field"?'],
  [["get", "github", "--jsn"], 'unknown flag "--jsn"', 'Did you mean "--json"?'],
  [["get", "github", "--bogus"], 'unknown flag "--bogus"', "Run: authsome get --help"],
  [["get", "github", "-x"], 'unknown flag "-x"', "Run: authsome get --help"],
  [
    ["--force", "login", "github"],
    'unknown flag "--force"',
    "Put it after the command: authsome login --force",
  ],
  [["--profle", "work", "list"], 'unknown flag "--profle"', 'Did you mean "--profile"?'],
  [
    ["export", "--format", "xml"],
    'invalid value "xml" for --format: expected one of env, shell, json',
    "Run: authsome export --help",
  ],
  [
    ["login", "github", "--flow=magic"],
    'invalid value "magic" for --flow: expected one of pkce, device_code, dcr_pkce, api_key',
    "Run: authsome login --help",
  ],
  [
    ["log", "-n", "abc"],
    'invalid value "abc" for -n: expected a number',
    "Run: authsome log --help",
  ],
  [
    ["log", "--lines=1e3"],
    'invalid value "1e3" for --lines: expected a number',
    "Run: authsome log --help",
  ],
  [["log", "--lines"], "missing value for --lines <n>", "Run: authsome log --help"],
  [
    ["get", "github", "--field", "--json"],
    "missing value for --field <name>",
    "Run: authsome get --help",
  ],
  [["get", "github", "--field="], "empty value for --field", "Run: authsome get --help"],
  [["--profile", "", "list"], "empty value for --profile", "Run: authsome --help"],
  [["--profile"], "missing value for --profile <name>", "Run: authsome --help"],
  [["login", "github", "--force=yes"], "flag --force takes no value", "Run: authsome login --help"],
  [
    ["completions", "tcsh"],
    'invalid value "tcsh" for <shell>: expected one of bash, zsh, fish',
    "Run: authsome completions --help",
  ],
  [["run"], "missing command to run", "Usage: authsome run [flags] [--] <command> [args...]"],
  [
    ["run", "--provider", "github", "--"],
    "missing command to run",
    "Usage: authsome run [flags] [--] <command> [args...]",
  ],
  [["run", "--fast", "python"], 'unknown flag "--fast"', "Run: authsome run --help"],
  [["--", "list"], 'unexpected "--" before a command', "Run: authsome --help"],
  [["daemon", "--", "start"], 'unexpected "--" before a command', "Run: authsome daemon --help"],
];

for (const [argv, message, hint] of REJECTED) {
  Deno.test(`parseCommandLine() rejects ${JSON.stringify(argv)}`, () => {
    assert.throws(() => parse(argv), (error: unknown) => {
      assert.ok(error instanceof UsageError);
      assert.equal(error.exitCode, ExitCode.usage);
      assert.equal(error.message, message);
      assert.equal(error.hint, hint);
      return true;
    });
  });
}

const HELP_SHORT_CIRCUITS: [string[], string[]][] = [
  [["get", "--help"], ["get"]],
  [["--help", "get"], ["get"]],
  [["get", "-h", "a", "b", "c"], ["get"]],
  [["get", "--bogus", "-h"], ["get"]],
  [["log", "-n", "abc", "--help"], ["log"]],
  [["run", "--help"], ["run"]],
  [["daemon", "--help"], ["daemon"]],
  [["daemon", "start", "--help"], ["daemon", "start"]],
  [["completions", "tcsh", "--help"], ["completions"]],
  [["get", "--version"], ["get"]],
];

for (const [argv, path] of HELP_SHORT_CIRCUITS) {
  Deno.test(`parseCommandLine() lets --help/--version win in ${JSON.stringify(argv)}`, () => {
    const parsed = parse(argv);
    assert.deepEqual(parsed.path, path);
    assert.ok(parsed.global.help || parsed.global.version);
  });
}

Deno.test("parseCommandLine() still rejects an unknown command under --help", () => {
  assert.throws(() => parse(["lgoin", "--help"]), /unknown command "lgoin"/);
});

Deno.test("parseCommandLine() gives --help and --version after a run command to the child", () => {
  const parsed = parse(["run", "tool", "--help", "--version"]);
  assert.deepEqual(parsed.global, DEFAULT_GLOBALS);
  assert.deepEqual(parsed.rest, ["tool", "--help", "--version"]);
});

Deno.test("parseCommandLine() does not treat words after `--` as global flags", () => {
  const parsed = parse(["run", "--", "tool", "--help", "--version"]);
  assert.deepEqual(parsed.global, DEFAULT_GLOBALS);
  assert.deepEqual(parsed.rest, ["tool", "--help", "--version"]);
});

Deno.test("parseCommandLine() does not mutate its input", () => {
  const argv = ["--verbose", "run", "--", "env"];
  const copy = [...argv];
  parse(argv);
  assert.deepEqual(argv, copy);
});

Deno.test("GLOBAL_FLAGS are the docs/contract.md §5 global flags", () => {
  const names = GLOBAL_FLAGS.map((f) => (f.short ? `-${f.short}/--${f.name}` : `--${f.name}`));
  assert.deepEqual(names, [
    "--json",
    "--quiet",
    "--no-color",
    "--verbose",
    "--log-file",
    "--profile",
    "-h/--help",
    "-v/--version",
  ]);
});

Deno.test("leafCommands() replaces groups by their sub-commands", () => {
  const paths = leafCommands(SAMPLE_COMMANDS).map((e) => e.path.join(" "));
  assert.ok(paths.includes("daemon start"));
  assert.ok(!paths.includes("daemon"));
  assert.equal(paths.length, SAMPLE_COMMANDS.length - 1 + 4);
});
