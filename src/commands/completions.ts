/**
 * Shell completion scripts generated from the command table, so they cannot drift from the
 * parser. Each script finds the command path as the parser does (global flags anywhere, values
 * of value-taking flags skipped, `--` ends a passthrough command), then offers that command's
 * flags, flag values and positional values. Provider names are embedded statically: asking
 * authsome on every <Tab> would decrypt the vault each time.
 *
 * @module
 */

import { GLOBAL_FLAGS } from "./args.ts";
import type { CommandSpec, FlagSpec } from "./spec.ts";

/** Shells `authsome completions` supports. */
export type Shell = "bash" | "zsh" | "fish";

// Words go into scripts unquoted, so anything that is not a plain word is dropped rather than
// escaped: a custom provider named `$(rm -rf ~)` must not become shell code.
const SAFE_WORD = /^[A-Za-z0-9][A-Za-z0-9._@+-]*$/;

type Action = { words: string[] } | "file" | "none";

/** One completion context: the top level (`path` ""), a group, or a command ("daemon start"). */
interface Entry {
  path: string;
  flags: readonly FlagSpec[];
  positionals: Action[];
  /** Sub-command names and summaries (top level and groups), for shells that describe them. */
  commands: [string, string][];
}

interface Model {
  entries: Entry[];
  groups: string[];
  passthrough: string[];
  valueFlags: string[]; // every `--flag`/`-f` taking a value, so scripts can skip that value
  action(target: Pick<FlagSpec, "choices" | "completeWith">): Action;
}

/** The completion script for `shell`; `providerNames` are offered where providers complete. */
export function renderCompletions(
  shell: Shell,
  commands: readonly CommandSpec[],
  providerNames: readonly string[] = [],
): string {
  const model = buildModel(commands, providerNames.filter((name) => SAFE_WORD.test(name)));
  if (shell === "bash") return renderBash(model);
  if (shell === "zsh") return renderZsh(model);
  return renderFish(model);
}

function buildModel(commands: readonly CommandSpec[], providers: string[]): Model {
  function action(target: Pick<FlagSpec, "choices" | "completeWith">): Action {
    if (target.choices) return { words: target.choices.filter((w) => SAFE_WORD.test(w)) };
    if (target.completeWith === "provider") return { words: providers };
    return target.completeWith === "file" ? "file" : "none";
  }
  const model: Model = { entries: [], groups: [], passthrough: [], valueFlags: [], action };
  const valueFlags = new Set(GLOBAL_FLAGS.filter(takesValue).flatMap(tokens));
  function visit(specs: readonly CommandSpec[], group?: { spec: CommandSpec; prefix: string[] }) {
    const prefix = group?.prefix ?? [];
    const commands = specs.map((s): [string, string] => [s.name, s.summary]);
    const path = prefix.join(" ");
    const positionals = [{ words: commands.map(([name]) => name) }];
    model.entries.push({ path, flags: group?.spec.flags ?? [], positionals, commands });
    if (group) model.groups.push(path);
    for (const spec of specs) {
      spec.flags.filter(takesValue).flatMap(tokens).forEach((t) => valueFlags.add(t));
      const words = [...prefix, spec.name];
      if (spec.subcommands?.length) {
        visit(spec.subcommands, { spec, prefix: words });
        continue;
      }
      if (spec.passthrough) model.passthrough.push(words.join(" "));
      const positionals = spec.args.map(action);
      model.entries.push({ path: words.join(" "), flags: spec.flags, positionals, commands: [] });
    }
  }
  visit(commands);
  model.valueFlags = [...valueFlags];
  return model;
}

function takesValue(flag: FlagSpec): boolean {
  return flag.type !== "boolean";
}
function tokens(flag: FlagSpec): string[] {
  return flag.short ? [`--${flag.name}`, `-${flag.short}`] : [`--${flag.name}`];
}

/** Single-quoted for bash and zsh. */
function sq(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

/** Single-quoted for fish, which has backslash escapes inside single quotes. */
function fq(text: string): string {
  return `'${text.replaceAll("\\", "\\\\").replaceAll("'", "\\'")}'`;
}

/** `case` arms shared by bash and zsh: flag values (on `$cmd:$prev`), positionals. */
function caseArms(m: Model, render: (action: Action) => string) {
  const values: string[] = [];
  for (const entry of m.entries) {
    for (const flag of entry.flags.filter(takesValue)) {
      const patterns = tokens(flag).map((t) => sq(`${entry.path}:${t}`)).join("|");
      values.push(`    ${patterns}) ${render(m.action(flag))}; return ;;`);
    }
  }
  for (const flag of GLOBAL_FLAGS.filter(takesValue)) {
    values.push(`    *:--${flag.name}) ${render(m.action(flag))}; return ;;`);
  }
  const positionals = m.entries.flatMap((entry) =>
    entry.positionals.flatMap((action, index) =>
      action === "none" ? [] : [`    ${sq(`${entry.path}:${index}`)}) ${render(action)} ;;`]
    )
  );
  return { values: values.join("\n"), positionals: positionals.join("\n") };
}

/**
 * The word loop shared by bash and zsh: sets `cmd` (the command path) and `nargs` (its
 * positionals so far). bash splits `--f=v` into `--f` `=` `v`, hence the `=` cases.
 */
function scanLoop(m: Model, shell: "bash" | "zsh"): string {
  const [words, count, first] = shell === "bash"
    ? ["COMP_WORDS", "COMP_CWORD", 1]
    : ["words", "CURRENT", 2];
  const run = shell === "bash"
    ? 'if ((i + 1 == COMP_CWORD)); then COMPREPLY=($(compgen -c -- "$cur"))\n        ' +
      "else compopt -o default 2>/dev/null; COMPREPLY=(); fi; return"
    : "shift $i words; (( CURRENT -= i )); _normal; return";
  const pass = m.passthrough.map(sq).join("|");
  const passthrough = pass && `\n      --) case "$cmd" in ${pass}) ${run} ;; esac ;;`;
  const groups = m.groups.map((g) => `\n          ${sq(g)}) cmd="$cmd $w" ;;`).join("");
  return `  local cmd="" w i nargs=0 skip=0 value_flags=" ${m.valueFlags.join(" ")} "
  for ((i = ${first}; i < ${count}; i++)); do
    w="\${${words}[i]}"
    if ((skip)); then [[ $w == "=" ]] || skip=0; continue; fi
    case "$w" in${passthrough}
      =) skip=1 ;;
      --*=*) ;;
      -*) [[ $value_flags == *" $w "* ]] && skip=1 ;;
      *)
        case "$cmd" in
          "") cmd="$w" ;;${groups}
          *) nargs=$((nargs + 1)) ;;
        esac ;;
    esac
  done`;
}

function renderBash(m: Model): string {
  function render(action: Action): string {
    if (typeof action === "object") {
      return `COMPREPLY=($(compgen -W "${action.words.join(" ")}" -- "$cur"))`;
    }
    return action === "file" ? "compopt -o default 2>/dev/null; COMPREPLY=()" : "COMPREPLY=()";
  }
  const arms = caseArms(m, render);
  const flags = m.entries.filter((e) => e.flags.length > 0).map((e) =>
    `      ${sq(e.path)}) words="${e.flags.flatMap(tokens).join(" ")}" ;;`
  );
  return `# bash completion for authsome, generated by "authsome completions bash".
# Load it with: source <(authsome completions bash)
_authsome() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="\${COMP_WORDS[COMP_CWORD-1]}"
  local words=""
  # COMP_WORDBREAKS splits "--format=json" into "--format" "=" "json".
  if [[ $cur == "=" ]]; then cur=""; fi
  if [[ $prev == "=" ]] && ((COMP_CWORD > 1)); then prev="\${COMP_WORDS[COMP_CWORD-2]}"; fi
${scanLoop(m, "bash")}
  case "$cmd:$prev" in
${arms.values}
  esac
  if [[ $cur == -* ]]; then
    case "$cmd" in
${flags.join("\n")}
    esac
    ${render({ words: ["$words", ...GLOBAL_FLAGS.flatMap(tokens)] })}
    return
  fi
  case "$cmd:$nargs" in
${arms.positionals}
  esac
}
complete -F _authsome authsome
`;
}

function renderZsh(m: Model): string {
  function render(action: Action): string {
    if (typeof action === "object") return `compadd -- ${action.words.join(" ")}`;
    return action === "file" ? "_files" : "return 1";
  }
  function items(pairs: [string, string][]): string {
    return pairs.map(([name, text]) => sq(`${name.replaceAll(":", "\\:")}:${text}`)).join(" ");
  }
  function flagItems(flags: readonly FlagSpec[]): string {
    return items(flags.flatMap((f) => tokens(f).map((t): [string, string] => [t, f.description])));
  }
  const arms = caseArms(m, render);
  const flags = m.entries.filter((e) => e.flags.length > 0).map((e) =>
    `      ${sq(e.path)}) items=(${flagItems(e.flags)}) ;;`
  );
  const commands = m.entries.filter((e) => e.commands.length > 0).map((e) =>
    `    ${sq(`${e.path}:0`)}) items=(${items(e.commands)}); _describe -t commands command items ;;`
  );
  return `#compdef authsome
# zsh completion for authsome, generated by "authsome completions zsh".
# Install: authsome completions zsh > "\${fpath[1]}/_authsome"
# or load it with: source <(authsome completions zsh)
_authsome() {
  local cur="\${words[CURRENT]}" prev="\${words[CURRENT-1]}"
  local -a items
${scanLoop(m, "zsh")}
  if [[ $cur == -*=* ]]; then prev="\${cur%%=*}"; compset -P '*='; fi
  case "$cmd:$prev" in
${arms.values}
  esac
  if [[ $cur == -* ]]; then
    case "$cmd" in
${flags.join("\n")}
    esac
    items+=(${flagItems(GLOBAL_FLAGS)})
    _describe -t flags flag items
    return
  fi
  case "$cmd:$nargs" in
${commands.join("\n")}
${arms.positionals}
  esac
}
if [[ "\${funcstack[1]}" == _authsome ]]; then _authsome "$@"; else compdef _authsome authsome; fi
`;
}

function renderFish(m: Model): string {
  function render(action: Action): string {
    if (typeof action === "object") return `-x -a ${fq(action.words.join(" "))}`;
    return action === "file" ? "-r -F" : "-x";
  }
  function flagLine(flag: FlagSpec, condition: string): string {
    const short = flag.short ? ` -s ${flag.short}` : "";
    const value = takesValue(flag) ? ` ${render(m.action(flag))}` : "";
    const text = fq(flag.description);
    return `complete -c authsome -n ${fq(condition)} -l ${flag.name}${short}${value} -d ${text}`;
  }
  const lines = GLOBAL_FLAGS.map((flag) => flagLine(flag, "__authsome_after -lt 0"));
  for (const entry of m.entries) {
    const is = `__authsome_is ${entry.path}`.trimEnd();
    for (const [name, text] of entry.commands) {
      lines.push(`complete -c authsome -n ${fq(is)} -a ${fq(name)} -d ${fq(text)}`);
    }
    for (const flag of entry.flags) lines.push(flagLine(flag, is));
    entry.positionals.forEach((action, index) => {
      if (action === "none" || entry.commands.length > 0) return;
      const at = fq(`__authsome_arg ${index} ${entry.path}`);
      lines.push(`complete -c authsome -n ${at} ${render(action)}`);
    });
  }
  return `# fish completion for authsome, generated by "authsome completions fish".
# Install: authsome completions fish > ~/.config/fish/completions/authsome.fish
# Prints the command path, the count of its positionals, and the words after "--" (-1: none).
function __authsome_scan
    set -l value_flags ${m.valueFlags.join(" ")}
    set -l groups ${m.groups.map(fq).join(" ")}
    set -l passthrough ${m.passthrough.map(fq).join(" ")}
    set -l cmd ''; set -l nargs 0; set -l skip 0; set -l after -1
    for t in (commandline -opc)[2..-1]
        if test $after -ge 0
            set after (math $after + 1)
        else if test $skip -eq 1
            set skip 0
        else if test "$t" = --
            contains -- "$cmd" $passthrough; and set after 0
        else if string match -q -- '--*=*' $t
        else if string match -q -- '-*' $t
            contains -- $t $value_flags; and set skip 1
        else if test -z "$cmd"
            set cmd $t
        else if contains -- "$cmd" $groups
            set cmd "$cmd $t"
        else
            set nargs (math $nargs + 1)
        end
    end
    printf '%s\\n' $cmd $nargs $after
end
# __authsome_is CMD...: at CMD; __authsome_arg N CMD...: at its positional N; __authsome_after TEST.
function __authsome_is; set -l s (__authsome_scan); test "$s[3]" = -1 -a "$s[1]" = "$argv"; end
function __authsome_arg; __authsome_is $argv[2..-1]; and test (__authsome_scan)[2] = $argv[1]; end
function __authsome_after; set -l s (__authsome_scan); test "$s[3]" $argv; end
complete -c authsome -f
complete -c authsome -n '__authsome_after -eq 0' -a '(__fish_complete_command)'
complete -c authsome -n '__authsome_after -gt 0' -F
${lines.join("\n")}
`;
}
