/**
 * All CLI output goes through here: human text, `--json`, `--quiet`, colour, and the error
 * format of docs/contract.md §5 (`Error: <message>` plus the fixing command; JSON
 * `{"error": "<code>", "message": "..."}`).
 *
 * @module
 */
import { AuthsomeError } from "../errors.ts";
import type { Terminal } from "../platform/types.ts";

/** Output modes from the global flags. */
export interface OutputOptions {
  json: boolean;
  quiet: boolean;
  color: boolean;
}

const COLORS = { red: 31, green: 32, yellow: 33, dim: 2, bold: 1 } as const;

/** Writes command output in the mode the user asked for. */
export class Output {
  readonly #terminal: Terminal;
  readonly options: OutputOptions;

  constructor(terminal: Terminal, options: OutputOptions) {
    this.#terminal = terminal;
    this.options = options;
  }

  /** Whether `--json` is on. */
  get json(): boolean {
    return this.options.json;
  }

  /** Human chatter on stdout, such as success notes (suppressed by `--quiet` and `--json`). */
  line(text = ""): void {
    if (!this.options.quiet && !this.options.json) this.#terminal.writeStdout(text + "\n");
  }

  /**
   * Human text that is the command's result (a table, a report, a status): printed even with
   * `--quiet`, which silences only chatter. Not in `--json` mode, where the caller prints JSON.
   */
  result(text = ""): void {
    if (!this.options.json) this.#terminal.writeStdout(text + "\n");
  }

  /** Data the user asked for (a field value, an export): always printed. */
  data(text: string): void {
    this.#terminal.writeStdout(text.endsWith("\n") || text === "" ? text : text + "\n");
  }

  /** A JSON document on stdout. */
  jsonValue(value: unknown): void {
    this.#terminal.writeStdout(JSON.stringify(value, null, 2) + "\n");
  }

  /** A warning on stderr (suppressed by `--quiet`). */
  warn(text: string): void {
    if (!this.options.quiet) {
      this.#terminal.writeStderr(`${this.paint("yellow", "Warning:")} ${text}\n`);
    }
  }

  /**
   * Something the user must see to go on (a URL to open, a device code to enter): on stderr,
   * even with `--quiet` or `--json`, since without it the command would wait for nothing.
   */
  instruct(text: string): void {
    this.#terminal.writeStderr(text + "\n");
  }

  /** A progress note on stderr, so it never mixes with data on stdout. */
  note(text: string): void {
    if (!this.options.quiet && !this.options.json) this.#terminal.writeStderr(text + "\n");
  }

  /** Reports a failure and returns its exit code. */
  error(error: unknown): number {
    const known = error instanceof AuthsomeError ? error : null;
    const code = known?.code ?? "failure";
    const message = known
      ? known.message
      : `unexpected error: ${error instanceof Error ? error.message : String(error)}`;
    if (this.options.json) {
      const body: Record<string, string> = { error: code, message };
      if (known?.hint) body.hint = known.hint;
      this.#terminal.writeStdout(JSON.stringify(body) + "\n");
    }
    // Errors are shown even with --quiet: it silences progress and success messages only.
    {
      let text = `${this.paint("red", "Error:")} ${message}\n`;
      if (known?.hint) text += known.hint.split("\n").map((line) => `  ${line}\n`).join("");
      this.#terminal.writeStderr(text);
    }
    return known?.exitCode ?? 1;
  }

  /** Wraps text in an ANSI colour when colour is on. */
  paint(color: keyof typeof COLORS, text: string): string {
    return this.options.color ? `\x1b[${COLORS[color]}m${text}\x1b[0m` : text;
  }
  /** A connection status, green when `connected`, red otherwise. */
  status(status: string): string {
    return this.paint(status === "connected" ? "green" : "red", status);
  }

  /** Formats rows as aligned columns (colour codes take no width). */
  table(headers: string[], rows: string[][]): string {
    // deno-lint-ignore no-control-regex -- the escape character is what colour codes start with
    const width = (cell: string) => cell.replace(/\x1b\[[0-9;]*m/g, "").length;
    const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => width(r[i]))));
    const pad = (cell: string, i: number) => cell + " ".repeat(widths[i] - width(cell));
    const format = (cells: string[]) =>
      cells.map((cell, i) => (i === cells.length - 1 ? cell : pad(cell, i))).join("  ").trimEnd();
    return [format(headers), format(widths.map((w) => "-".repeat(w))), ...rows.map(format)]
      .join("\n");
  }
}
