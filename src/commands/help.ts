/**
 * Help text generated from the command table, so `--help` can never drift from what the parser
 * accepts. Plain text in aligned columns; the caller decides where it goes.
 *
 * @module
 */

import { ExitCode } from "../errors.ts";
import { GLOBAL_FLAGS } from "./args.ts";
import type { ArgSpec, CommandSpec, FlagSpec } from "./spec.ts";

const WIDTH = 100;

const EXIT_CODES: readonly [number, string][] = [
  [ExitCode.ok, "success"],
  [ExitCode.failure, "unexpected failure; doctor found a problem"],
  [
    ExitCode.usage,
    "usage error (unknown command or flag, missing argument, bad value, bad provider file)",
  ],
  [ExitCode.providerNotFound, "provider not found"],
  [ExitCode.authenticationFailed, "authentication failed or cancelled"],
  [ExitCode.credentialMissing, "connection or credential missing"],
  [ExitCode.refreshFailed, "refresh failed, token expired, connection invalid"],
  [
    ExitCode.vaultUnavailable,
    "vault unavailable (locked, corrupt, wrong key, unsafe permissions, home not writable)",
  ],
  [ExitCode.daemonUnavailable, "daemon unavailable"],
  [ExitCode.interrupted, "interrupted (Ctrl-C)"],
];

/** The text of `authsome --help` (and of `authsome` with no command). */
export function renderTopHelp(commands: readonly CommandSpec[], version: string): string {
  const rows: Row[] = [];
  for (const spec of commands) {
    if (spec.subcommands?.length) {
      for (const sub of spec.subcommands) {
        rows.push([`${spec.name} ${synopsis(sub)}`, sub.summary]);
      }
    } else {
      rows.push([synopsis(spec), spec.summary]);
    }
  }
  const globals = GLOBAL_FLAGS.map(flagRow);
  const left = termWidth([...rows, ...globals]);
  return [
    `authsome ${version}`,
    "Local credentials for AI agents: OAuth2 tokens and API keys in one encrypted vault.",
    "",
    "Usage:",
    "  authsome <command> [arguments] [flags]",
    "",
    "Commands:",
    ...columns(rows, left),
    "",
    "Global flags:",
    ...columns(globals, left),
    "",
    'Run "authsome <command> --help" (or "authsome help <command>") for the arguments, flags and',
    "examples of a command.",
    "",
    "Exit codes:",
    ...columns(EXIT_CODES.map(([code, meaning]) => [String(code), meaning]), 3),
    "",
  ].join("\n");
}

/** The text of `authsome <path...> --help`. */
export function renderCommandHelp(path: readonly string[], spec: CommandSpec): string {
  const name = ["authsome", ...path].join(" ");
  const sections: [string, Row[]][] = [
    ["Commands:", (spec.subcommands ?? []).map((sub) => [synopsis(sub), sub.summary])],
    ["Arguments:", spec.args.map(argRow)],
    [
      "Command to run:",
      spec.passthrough ? [["<command> [args...]", "The command to run and its arguments"]] : [],
    ],
    ["Flags:", spec.flags.map(flagRow)],
  ];
  const left = termWidth(sections.flatMap(([, rows]) => rows));
  const lines = [`Usage: ${name} ${synopsis(spec, { withName: false })}`.trimEnd(), ""];
  lines.push(...wrap(spec.description ?? spec.summary, WIDTH), "");
  for (const [title, rows] of sections) {
    if (rows.length > 0) lines.push(title, ...columns(rows, left), "");
  }
  // Spelled out once in `authsome --help`; repeating the table under every command buried the
  // command's own flags.
  lines.push("Global flags:", ...wrap(globalFlagList(), WIDTH - 2).map((line) => `  ${line}`), "");
  if (spec.examples.length > 0) {
    lines.push("Examples:", ...spec.examples.map((example) => `  ${example}`), "");
  }
  if (spec.subcommands?.length) {
    lines.push(`Run "${name} <command> --help" for the flags of a command.`, "");
  }
  return lines.join("\n");
}

/** `login <provider>`, `export [provider]`, `run [--] <command> [args...]`, `daemon <command>`. */
function synopsis(spec: CommandSpec, options: { withName?: boolean } = {}): string {
  const parts = options.withName === false ? [] : [spec.name];
  if (spec.subcommands?.length) parts.push("<command>");
  for (const arg of spec.args) parts.push(arg.required ? `<${arg.name}>` : `[${arg.name}]`);
  if (options.withName === false && !spec.subcommands?.length) parts.push("[flags]");
  if (spec.passthrough) parts.push("[--] <command> [args...]");
  return parts.join(" ");
}

type Row = [term: string, text: string];

function argRow(arg: ArgSpec): Row {
  const notes: string[] = [];
  if (!arg.required) notes.push("optional");
  if (arg.choices) notes.push(`one of: ${arg.choices.join(", ")}`);
  return [`<${arg.name}>`, withNotes(arg.description, notes)];
}

function flagRow(flag: FlagSpec): Row {
  const short = flag.short ? `-${flag.short}, ` : "    ";
  const value = flag.type === "boolean" ? "" : ` ${flag.valueName ?? `<${flag.name}>`}`;
  const notes: string[] = [];
  if (flag.choices) notes.push(`one of: ${flag.choices.join(", ")}`);
  if (flag.default !== undefined && flag.default !== false) {
    notes.push(`default: ${JSON.stringify(flag.default)}`);
  }
  if (flag.repeatable) notes.push("repeatable");
  return [`${short}--${flag.name}${value}`, withNotes(flag.description, notes)];
}

function globalFlagList(): string {
  const names = GLOBAL_FLAGS.map((flag) => {
    const value = flag.type === "boolean" ? "" : ` ${flag.valueName ?? `<${flag.name}>`}`;
    return flag.short ? `-${flag.short}/--${flag.name}` : `--${flag.name}${value}`;
  });
  return `${names.join(", ")} (see: authsome --help)`;
}

/** `text (a; b)`; a description that already ends in a parenthesis takes the notes inside it. */
function withNotes(text: string, notes: readonly string[]): string {
  if (notes.length === 0) return text;
  if (text.endsWith(")")) return `${text.slice(0, -1)}; ${notes.join("; ")})`;
  return `${text} (${notes.join("; ")})`;
}

/** Width of the term column: the longest term, capped so descriptions keep their room. */
function termWidth(rows: readonly Row[]): number {
  return Math.min(Math.max(0, ...rows.map(([term]) => term.length)), 32);
}

/** Two aligned columns; long descriptions wrap under their own column. */
function columns(rows: readonly Row[], left: number): string[] {
  const indent = 2 + left + 3;
  return rows.flatMap(([term, text]) => {
    const body = wrap(text, Math.max(WIDTH - indent, 30));
    if (term.length > left) {
      return [`  ${term}`, ...body.map((line) => " ".repeat(indent) + line)];
    }
    const [first = "", ...more] = body;
    return [
      `  ${term.padEnd(left)}   ${first}`.trimEnd(),
      ...more.map((line) => " ".repeat(indent) + line),
    ];
  });
}

function wrap(text: string, width: number): string[] {
  return text.split("\n").flatMap((paragraph) => {
    const lines: string[] = [];
    let line = "";
    for (const word of paragraph.split(/ +/)) {
      if (line !== "" && line.length + 1 + word.length > width) {
        lines.push(line);
        line = word;
      } else {
        line = line === "" ? word : `${line} ${word}`;
      }
    }
    lines.push(line);
    return lines;
  });
}
