import assert from "node:assert/strict";
import { renderCompletions, type Shell } from "../../src/commands/completions.ts";
import type { CommandSpec } from "../../src/commands/spec.ts";
import { SAMPLE_COMMANDS } from "./_sample_table.ts";

const PROVIDERS = ["github", "openai", "my-api"];
const SHELLS: Shell[] = ["bash", "zsh", "fish"];

function installed(program: string): boolean {
  try {
    const check = new Deno.Command("sh", {
      args: ["-c", `command -v ${program}`],
      stdout: "null",
      stderr: "null",
    });
    return check.outputSync().success;
  } catch {
    return false;
  }
}

const HAS = { bash: installed("bash"), zsh: installed("zsh"), fish: installed("fish") };

async function run(program: string, args: string[]): Promise<string> {
  const { code, stdout, stderr } = await new Deno.Command(program, { args }).output();
  const err = new TextDecoder().decode(stderr);
  assert.equal(code, 0, `${program} ${args.join(" ")} failed: ${err}`);
  return new TextDecoder().decode(stdout);
}

/** Runs `program` on a temporary file holding `script`. */
async function withScript(script: string, use: (path: string) => Promise<void>): Promise<void> {
  const path = await Deno.makeTempFile({ prefix: "authsome_completion_" });
  try {
    await Deno.writeTextFile(path, script);
    await use(path);
  } finally {
    await Deno.remove(path);
  }
}

function sq(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

/** Command lines to complete (the last word is the one under the cursor) and what is offered. */
const CASES: [string[], string[]][] = [
  [["authsome", ""], SAMPLE_COMMANDS.map((c) => c.name)],
  [["authsome", "lo"], ["login", "logout", "log"]],
  [["authsome", "--verbose", "g"], ["get"]],
  [["authsome", "--profile", "work", "ex"], ["export"]],
  [["authsome", "get", ""], PROVIDERS],
  [["authsome", "get", "git"], ["github"]],
  [["authsome", "get", "github", ""], []],
  [["authsome", "get", "--f"], ["--field"]],
  [["authsome", "get", "--sh"], ["--show-secret"]],
  [["authsome", "export", "--format", ""], ["env", "shell", "json"]],
  [["authsome", "login", "github", "--flow", "d"], ["device_code", "dcr_pkce"]],
  [["authsome", "--json", "export", "--connection", "ci", ""], PROVIDERS],
  [["authsome", "daemon", ""], ["serve", "start", "stop", "status"]],
  [["authsome", "daemon", "start", "--p"], ["--port", "--profile"]],
  [["authsome", "run", "--provider", ""], PROVIDERS],
  [["authsome", "completions", ""], ["bash", "zsh", "fish"]],
  [["authsome", "log", "-n", ""], []],
  [["authsome", "log", "--r"], ["--raw"]],
];

function sorted(words: string[]): string[] {
  return [...words].sort();
}

Deno.test("renderCompletions() covers commands, sub-commands, flags, choices and providers", () => {
  for (const shell of SHELLS) {
    const script = renderCompletions(shell, SAMPLE_COMMANDS, PROVIDERS);
    const expected = [
      ...SAMPLE_COMMANDS.map((c) => c.name),
      "serve",
      "status",
      "flow",
      "base-url",
      "show-secret",
      "port",
      "env shell json",
      "pkce device_code dcr_pkce api_key",
      "github openai my-api",
      "log-file",
      "no-color",
    ];
    for (const word of expected) assert.ok(script.includes(word), `${shell}: ${word}`);
  }
});

Deno.test("renderCompletions() drops provider names that are not plain words", () => {
  const evil = ["$(touch /tmp/pwned)", "a b", "it's", "`id`", "-rf", "ok.name"];
  for (const shell of SHELLS) {
    const script = renderCompletions(shell, SAMPLE_COMMANDS, evil);
    for (const name of evil.slice(0, 5)) assert.ok(!script.includes(name), `${shell}: ${name}`);
    assert.ok(script.includes("ok.name"));
  }
});

const MINIMAL: CommandSpec[] = [
  { name: "list", summary: "List it's things", args: [], flags: [], examples: [] },
];

for (const shell of SHELLS) {
  Deno.test({
    name: `renderCompletions("${shell}") passes ${shell} -n`,
    ignore: !HAS[shell],
    async fn() {
      for (const commands of [SAMPLE_COMMANDS, MINIMAL]) {
        await withScript(renderCompletions(shell, commands, PROVIDERS), async (path) => {
          await run(shell, ["-n", path]);
        });
      }
    },
  });
}

Deno.test({
  name: 'renderCompletions("bash") completes like the parser parses',
  ignore: !HAS.bash,
  async fn() {
    const harness = [
      'source "$1"',
      "t() {",
      '  COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); COMPREPLY=()',
      '  _authsome; printf "%s\\n" "${COMPREPLY[*]}"',
      "}",
      ...CASES.map(([words]) => `t ${words.map(sq).join(" ")}`),
      "t authsome run -- ech",
    ].join("\n");
    await withScript(renderCompletions("bash", SAMPLE_COMMANDS, PROVIDERS), async (path) => {
      const lines = (await run("bash", ["-c", harness, "harness", path])).split("\n");
      CASES.forEach(([words, expected], i) => {
        const got = lines[i] === "" ? [] : lines[i].split(" ");
        assert.deepEqual(sorted(got), sorted(expected), words.join(" "));
      });
      assert.ok(lines[CASES.length].split(" ").includes("echo"), "run -- completes commands");
    });
  },
});

Deno.test({
  name: 'renderCompletions("zsh") completes like the parser parses',
  ignore: !HAS.zsh,
  async fn() {
    // Stubs for the completion builtins, so the function runs outside the completion system.
    const harness = [
      "compdef() { :; }",
      'compadd() { shift; reply+=("$@"); }',
      "_describe() { reply+=(${${(P)4}%%:*}); }",
      "_files() { reply+=('<files>'); }",
      "_normal() { reply+=('<normal>'); }",
      "compset() { :; }",
      'source "$1"',
      "t() {",
      '  local -a reply; words=("$@"); CURRENT=${#words}',
      '  _authsome; print -r -- "${reply[*]}"',
      "}",
      ...CASES.map(([words]) => `t ${words.map(sq).join(" ")}`),
      "t authsome register ''",
      "t authsome run -- ech",
    ].join("\n");
    await withScript(renderCompletions("zsh", SAMPLE_COMMANDS, PROVIDERS), async (path) => {
      const lines = (await run("zsh", ["-c", harness, "zsh", path])).split("\n");
      CASES.forEach(([words, expected], i) => {
        const got = lines[i] === "" ? [] : lines[i].split(" ");
        const wanted = expected.length === 0 ? [] : expected;
        // zsh filters candidates by the typed prefix itself, so compare after filtering.
        const prefix = words.at(-1) ?? "";
        assert.deepEqual(
          sorted(got.filter((w) => w.startsWith(prefix))),
          sorted(wanted),
          words.join(" "),
        );
      });
      assert.equal(lines[CASES.length], "<files>");
      assert.equal(lines[CASES.length + 1], "<normal>");
    });
  },
});

Deno.test({
  name: 'renderCompletions("fish") completes like the parser parses',
  ignore: !HAS.fish,
  async fn() {
    const lines = [...CASES.map(([words]) => words.join(" ")), "authsome run -- ech"];
    const harness = [
      'source "$argv[1]"',
      ...lines.map((line) =>
        `echo (complete -C ${sq(line)} | string split -f1 \\t | string join " ")`
      ),
    ].join("\n");
    await withScript(renderCompletions("fish", SAMPLE_COMMANDS, PROVIDERS), async (path) => {
      const out = (await run("fish", ["-c", harness, path])).split("\n");
      CASES.forEach(([words, expected], i) => {
        const got = out[i] === "" ? [] : out[i].split(" ");
        assert.deepEqual(sorted(got), sorted(expected), words.join(" "));
      });
      assert.ok(out[CASES.length].split(" ").includes("echo"), "run -- completes commands");
    });
  },
});
