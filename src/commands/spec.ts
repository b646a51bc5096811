/**
 * The shape of the declarative command table. One table (`table.ts`) is the single source for
 * argument parsing, per-command help, shell completions and "did you mean" suggestions.
 *
 * @module
 */

/** A flag of a command (or a global flag). */
export interface FlagSpec {
  /** Long name without dashes, e.g. `field` for `--field`. */
  name: string;
  /** One-letter alias without the dash, e.g. `n` for `-n`. */
  short?: string;
  /** `boolean` flags take no value; `string` and `number` flags take one (`--f v` or `--f=v`). */
  type: "boolean" | "string" | "number";
  description: string;
  /** Placeholder in help, e.g. `<name>`. */
  valueName?: string;
  /** Allowed values; anything else is a usage error that lists them. */
  choices?: readonly string[];
  /** May be given more than once; the parsed value is then a `string[]`. */
  repeatable?: boolean;
  /** Default value shown in help and used when the flag is absent. */
  default?: string | number | boolean;
  /** Accept `""` as a value (`--log-file ""`); otherwise an empty value is a usage error. */
  allowEmpty?: boolean;
  /** Completion hint for the value: provider names or file paths. */
  completeWith?: "provider" | "file";
}

/** A positional argument. */
export interface ArgSpec {
  name: string;
  description: string;
  required: boolean;
  /** Completion hint: complete this argument with provider names or file paths. */
  completeWith?: "provider" | "file";
  /** Allowed values (e.g. `bash`, `zsh`, `fish`); anything else is a usage error. */
  choices?: readonly string[];
}

/** A command or sub-command. */
export interface CommandSpec {
  name: string;
  /** One line for the command list. */
  summary: string;
  /** Longer text for `--help`, optional. */
  description?: string;
  args: readonly ArgSpec[];
  flags: readonly FlagSpec[];
  /** Lines starting with `$ authsome ...` shown under "Examples". */
  examples: readonly string[];
  /** For command groups such as `daemon serve|start|stop|status`. */
  subcommands?: readonly CommandSpec[];
  /** Accepts `-- <cmd> [args]` (for `run`); everything after `--` lands in `rest`. */
  passthrough?: boolean;
}

/** Parsed value of a flag. */
export type FlagValue = string | number | boolean | string[];

/** Options every command accepts (docs/contract.md §5). */
export interface GlobalOptions {
  json: boolean;
  quiet: boolean;
  noColor: boolean;
  verbose: boolean;
  /** `undefined`: default file; `""`: no file; otherwise a path. */
  logFile?: string;
  profile?: string;
  help: boolean;
  version: boolean;
}

/** The result of parsing argv against the table. */
export interface ParsedCommandLine {
  /** e.g. `["daemon", "start"]`; empty when no command was given (`authsome --version`). */
  path: string[];
  /** The matched command, or undefined when `path` is empty. */
  spec?: CommandSpec;
  /** Positional arguments, in order. */
  args: string[];
  /** Command flags by long name; absent flags take their default (if any). */
  flags: Record<string, FlagValue | undefined>;
  /** Everything after `--` (only for passthrough commands). */
  rest: string[];
  global: GlobalOptions;
}
