/**
 * The command-line parser: argv and the command table in, a `ParsedCommandLine` out. Pure: it
 * neither prints nor reads the environment; every problem is a `UsageError` with a hint.
 *
 * Rules:
 * - Global flags (`GLOBAL_FLAGS`) are accepted anywhere before `--`, before or after the
 *   command. Command flags go after their command (and after the sub-command of a group).
 * - Flag forms: `--f v`, `--f=v`, `-n 5`, `-n5`, `-n=5`, clustered booleans `-hv`, and
 *   `--no-<f>` to turn a boolean flag off. A flag given twice keeps its last value, except a
 *   `repeatable` one, which collects every value into a `string[]`.
 * - A value passed as a separate word must not start with `-`: `--field --json` is a missing
 *   value, not a field named `--json`. Write `--field=-x` for such a value. `-` alone is a value.
 * - `--` ends option parsing. For a `passthrough` command (`run`) everything after it lands in
 *   `rest` (and is required); for other commands the words after it are positional arguments,
 *   so an argument may start with `-`. Before a command, `--` is a usage error. A passthrough
 *   command also needs no `--`: its first non-flag word starts `rest` (`run python x.py -v`).
 * - `--help` and `--version` suppress every other usage error except an unknown command, so
 *   `authsome get --help` works without `<provider>`; the caller prints help for `path`.
 * - Absent flags take their default; booleans without one are `false`, repeatables `[]`.
 *
 * @module
 */

import { UsageError } from "../errors.ts";
import type { CommandSpec, FlagSpec, FlagValue, GlobalOptions, ParsedCommandLine } from "./spec.ts";
import { suggest } from "./suggest.ts";

/** The flags every command accepts (docs/contract.md §5). */
export const GLOBAL_FLAGS: readonly FlagSpec[] = [
  { name: "json", type: "boolean", description: "print machine-readable JSON" },
  { name: "quiet", type: "boolean", description: "print only results and errors" },
  { name: "no-color", type: "boolean", description: "disable colour (also NO_COLOR=1)" },
  { name: "verbose", type: "boolean", description: "print debug logs to stderr" },
  {
    name: "log-file",
    type: "string",
    valueName: "<path>",
    allowEmpty: true,
    completeWith: "file",
    description: 'write the debug log here ("" for no file)',
  },
  { name: "profile", type: "string", valueName: "<name>", description: "use this profile" },
  { name: "help", short: "h", type: "boolean", description: "show help" },
  { name: "version", short: "v", type: "boolean", description: "show the version" },
];

// Global flag names that differ from their `GlobalOptions` key; the others are the same.
const GLOBAL_KEYS: Readonly<Record<string, string>> = {
  "no-color": "noColor",
  "log-file": "logFile",
};

const NUMBER = /^-?(\d+(\.\d+)?|\.\d+)$/;

/** A command reachable from the top level, with the words that select it. */
export interface CommandEntry {
  path: string[];
  spec: CommandSpec;
}

/** Every runnable command, depth first: groups are replaced by their sub-commands. */
export function leafCommands(specs: readonly CommandSpec[], prefix: string[] = []): CommandEntry[] {
  return specs.flatMap((spec) =>
    spec.subcommands?.length
      ? leafCommands(spec.subcommands, [...prefix, spec.name])
      : [{ path: [...prefix, spec.name], spec }]
  );
}

/** Parse `argv` (without the program name) against the command table. */
export function parseCommandLine(
  argv: readonly string[],
  commands: readonly CommandSpec[],
): ParsedCommandLine {
  return new Parser(argv, commands).parse();
}

class Parser {
  readonly #argv: readonly string[];
  readonly #commands: readonly CommandSpec[];
  #i = 0;
  #path: string[] = [];
  #spec?: CommandSpec;
  #args: string[] = [];
  #flags: Record<string, FlagValue | undefined> = {};
  #rest: string[] = [];
  #global: GlobalOptions = {
    json: false,
    quiet: false,
    noColor: false,
    verbose: false,
    help: false,
    version: false,
  };
  // The first problem is kept rather than thrown, so that a later `--help` can still win.
  #error?: UsageError;

  constructor(argv: readonly string[], commands: readonly CommandSpec[]) {
    this.#argv = argv;
    this.#commands = commands;
  }

  parse(): ParsedCommandLine {
    let positionalOnly = false;
    for (this.#i = 0; this.#i < this.#argv.length; this.#i++) {
      const token = this.#argv[this.#i];
      if (positionalOnly || token === "-" || !token.startsWith("-")) {
        if (this.#startsPassthrough()) {
          this.#rest = this.#argv.slice(this.#i);
          break;
        }
        this.#positional(token);
      } else if (token === "--") {
        if (this.#spec?.passthrough) {
          this.#rest = this.#argv.slice(this.#i + 1);
          break;
        }
        if (!this.#spec || this.#spec.subcommands?.length) {
          this.#fail('unexpected "--" before a command');
          break;
        }
        positionalOnly = true;
      } else if (token.startsWith("--")) {
        this.#long(token);
      } else {
        this.#short(token);
      }
    }
    if (!this.#global.help && !this.#global.version) {
      if (this.#error) throw this.#error;
      this.#validate();
    }
    return {
      path: this.#path,
      spec: this.#spec,
      args: this.#args,
      flags: this.#withDefaults(),
      rest: this.#rest,
      global: this.#global,
    };
  }

  /**
   * `authsome run python agent.py --fast`: for a passthrough command whose own arguments are
   * complete, the first word that is not a flag (or a flag's value) starts the child's command,
   * and every word after it (flags included) belongs to the child, as after `--`.
   */
  #startsPassthrough(): boolean {
    const spec = this.#spec;
    return !!spec?.passthrough && !spec.subcommands?.length &&
      this.#args.length >= spec.args.length;
  }

  #positional(token: string): void {
    if (!this.#spec) return this.#enter(token, this.#commands);
    if (this.#spec.subcommands?.length) return this.#enter(token, this.#spec.subcommands);
    this.#args.push(token);
  }

  #enter(name: string, choices: readonly CommandSpec[]): void {
    const found = choices.find((c) => c.name === name);
    if (found) {
      this.#path.push(name);
      this.#spec = found;
      return;
    }
    // `--profle work list` makes "work" look like a command; the flag typo is the real error.
    if (this.#error) throw this.#error;
    const guess = suggest(name, choices.map((c) => c.name));
    const hint = guess ? `Did you mean "${[...this.#path, guess].join(" ")}"?` : undefined;
    throw this.#usage(`unknown command "${[...this.#path, name].join(" ")}"`, hint);
  }

  #candidates(): readonly FlagSpec[] {
    return this.#spec ? [...this.#spec.flags, ...GLOBAL_FLAGS] : GLOBAL_FLAGS;
  }

  #long(token: string): void {
    const eq = token.indexOf("=");
    const name = token.slice(2, eq < 0 ? undefined : eq);
    const inline = eq < 0 ? undefined : token.slice(eq + 1);
    const candidates = this.#candidates();
    const flag = candidates.find((f) => f.name === name);
    if (flag) return this.#take(flag, { shown: `--${name}`, inline });
    const negated = name.startsWith("no-") && inline === undefined &&
      candidates.find((f) => f.name === name.slice(3) && f.type === "boolean" && !f.repeatable);
    if (negated) return this.#set(negated, false);
    this.#unknownFlag(`--${name}`);
  }

  #short(token: string): void {
    for (let j = 1; j < token.length; j++) {
      const flag = this.#candidates().find((f) => f.short === token[j]);
      if (!flag) return this.#unknownFlag(`-${token[j]}`);
      if (flag.type === "boolean") {
        this.#set(flag, true);
        continue;
      }
      const tail = token.slice(j + 1);
      const inline = tail === "" ? undefined : tail.startsWith("=") ? tail.slice(1) : tail;
      return this.#take(flag, { shown: `-${token[j]}`, inline });
    }
  }

  /** `shown` is the flag as typed (`-n`, `--lines`); `inline` the value after `=`, if any. */
  #take(flag: FlagSpec, given: { shown: string; inline?: string }): void {
    const { shown, inline } = given;
    if (flag.type === "boolean") {
      if (inline === undefined || inline === "true") return this.#set(flag, true);
      if (inline === "false") return this.#set(flag, false);
      return this.#fail(`flag ${shown} takes no value`);
    }
    let value = inline;
    if (value === undefined) {
      const next = this.#argv[this.#i + 1];
      // A negative number is a value for a number flag (`-n -3` gets the command's range error).
      const negative = flag.type === "number" && next !== undefined && NUMBER.test(next);
      if (next === undefined || (next.startsWith("-") && next !== "-" && !negative)) {
        return this.#fail(`missing value for ${shown} ${flag.valueName ?? `<${flag.name}>`}`);
      }
      value = next;
      this.#i++;
    }
    if (value === "" && !flag.allowEmpty) return this.#fail(`empty value for ${shown}`);
    if (flag.choices && !flag.choices.includes(value)) {
      return this.#fail(
        `invalid value "${value}" for ${shown}: expected one of ${flag.choices.join(", ")}`,
      );
    }
    if (flag.type === "number" && !NUMBER.test(value)) {
      return this.#fail(`invalid value "${value}" for ${shown}: expected a number`);
    }
    if (flag.repeatable) {
      const previous = this.#flags[flag.name];
      return this.#set(flag, Array.isArray(previous) ? [...previous, value] : [value]);
    }
    this.#set(flag, flag.type === "number" ? Number(value) : value);
  }

  #set(flag: FlagSpec, value: FlagValue): void {
    const commandFlag = this.#spec?.flags.includes(flag);
    if (commandFlag) this.#flags[flag.name] = value;
    else Object.assign(this.#global, { [GLOBAL_KEYS[flag.name] ?? flag.name]: value });
  }

  #unknownFlag(shown: string): void {
    const name = shown.replace(/^-+/, "");
    const guess = shown.startsWith("--")
      ? suggest(name, this.#candidates().map((f) => f.name))
      : undefined;
    let hint = guess ? `Did you mean "--${guess}"?` : undefined;
    if (!hint && !this.#spec) {
      const owner = leafCommands(this.#commands).find(({ spec }) =>
        spec.flags.some((f) => (shown.startsWith("--") ? f.name : f.short) === name)
      );
      if (owner) hint = `Put it after the command: authsome ${owner.path.join(" ")} ${shown}`;
    }
    this.#fail(`unknown flag "${shown}"`, hint);
  }

  #validate(): void {
    const spec = this.#spec;
    if (!spec) return;
    const name = this.#path.join(" ");
    if (spec.subcommands?.length) {
      const names = spec.subcommands.map((c) => c.name).join(", ");
      throw this.#usage(`missing subcommand for "${name}" (one of: ${names})`);
    }
    spec.args.forEach((arg, index) => {
      const value = this.#args[index];
      if (value === undefined && arg.required) {
        throw this.#usage(`missing argument <${arg.name}>`);
      }
      if (value !== undefined && arg.choices && !arg.choices.includes(value)) {
        const allowed = arg.choices.join(", ");
        throw this.#usage(`invalid value "${value}" for <${arg.name}>: expected one of ${allowed}`);
      }
    });
    if (this.#args.length > spec.args.length) {
      const extra = this.#args.slice(spec.args.length);
      const fix = `Put the command after "--": authsome ${name} -- ${extra.join(" ")}`;
      throw this.#usage(`unexpected argument "${extra[0]}"`, spec.passthrough ? fix : undefined);
    }
    if (spec.passthrough && this.#rest.length === 0) {
      const usage = `Usage: authsome ${name} [flags] [--] <command> [args...]`;
      throw this.#usage("missing command to run", usage);
    }
  }

  #withDefaults(): Record<string, FlagValue | undefined> {
    const flags = this.#flags;
    if (!this.#spec) return flags;
    for (const flag of this.#spec.flags) {
      if (Object.hasOwn(flags, flag.name)) continue;
      if (flag.repeatable) {
        flags[flag.name] = flag.default === undefined ? [] : [String(flag.default)];
      } else if (flag.default !== undefined) flags[flag.name] = flag.default;
      else if (flag.type === "boolean") flags[flag.name] = false;
    }
    return flags;
  }

  /** A usage error whose hint defaults to the help of the command parsed so far. */
  #usage(message: string, hint?: string): UsageError {
    return new UsageError(message, {
      hint: hint ?? `Run: authsome ${[...this.#path, "--help"].join(" ")}`,
    });
  }

  #fail(message: string, hint?: string): void {
    this.#error ??= this.#usage(message, hint);
  }
}
