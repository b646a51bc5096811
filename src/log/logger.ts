/**
 * The debug logger (docs/contract.md §7). DEBUG and up always go to the rotating file
 * (`<home>/logs/authsome.log`, or `--log-file <path>`, or nowhere with `--log-file ""`);
 * stderr gets `Warning: …` and `Error: …`, plus DEBUG and INFO lines with `--verbose`.
 *
 * Every line is redacted here, at the sink, with the secrets the process knows at that moment,
 * so call sites may pass whole request bodies and headers. Logging never throws and never
 * fails a command: a log file that cannot be written costs one warning on stderr, once.
 *
 * @module
 */
import { knownSecretValues } from "../model/secret.ts";
import type { Platform } from "../platform/types.ts";
import { createRedactor } from "./redact.ts";
import { RotatingFile } from "./rotating_file.ts";

/** Log levels, lowest first. */
export type LogLevel = "debug" | "info" | "warn" | "error";

/** Structured context for a log line; secret-named keys are masked. */
export type LogFields = Record<string, unknown>;

/** What the rest of authsome logs through. */
export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** Resolves when every line logged so far has reached the file (or failed to). */
  flush(): Promise<void>;
  /** Flushes; later lines still reach stderr but no longer the file. */
  close(): Promise<void>;
}

/** How to build a logger from the global flags. */
export interface LoggerOptions {
  platform: Platform;
  /** The authsome home, for the default file `<home>/logs/authsome.log`. */
  home?: string;
  /** `--log-file`: `undefined` for the default, `""` for no file, otherwise an absolute path. */
  logFile?: string;
  /** `--verbose`: DEBUG and INFO lines also go to stderr. */
  verbose?: boolean;
  /** `--quiet`: warnings are not shown on stderr (they still reach the file). */
  quiet?: boolean;
  /** Rotation size, 10 MiB unless a test says otherwise. */
  maxBytes?: number;
  /** Rotated files kept, 5 unless a test says otherwise. */
  keep?: number;
  /** Secret values to mask; read on every line. Defaults to the process-wide registry. */
  knownValues?: () => Iterable<string>;
}

const LEVEL_NAMES: Record<LogLevel, string> = {
  debug: "DEBUG",
  info: "INFO",
  warn: "WARN",
  error: "ERROR",
};
/** One runaway response body must not fill the whole log. */
const MAX_LINE_CHARS = 256 * 1024;

/** The file the debug log goes to, or null when it is disabled or there is no home. */
export function logFilePath(home: string | undefined, logFile: string | undefined): string | null {
  if (logFile !== undefined) return logFile === "" ? null : logFile;
  if (home === undefined) return null;
  const root = home.length > 1 ? home.replace(/\/+$/, "") : home;
  return `${root}/logs/authsome.log`;
}

/** Keeps each entry on one line, so a logged body cannot forge log lines of its own. */
function oneLine(text: string): string {
  return text.replace(/\r\n|\r|\n/g, "\\n");
}

function truncate(text: string): string {
  if (text.length <= MAX_LINE_CHARS) return text;
  return `${text.slice(0, MAX_LINE_CHARS)}…[truncated ${text.length - MAX_LINE_CHARS} chars]`;
}

class SinkLogger implements Logger {
  readonly #platform: Platform;
  readonly #verbose: boolean;
  readonly #quiet: boolean;
  readonly #knownValues: () => Iterable<string>;
  #file: RotatingFile | null;
  #pending: string[] = [];
  #draining: Promise<void> | null = null;
  #fileFailed = false;

  constructor(options: LoggerOptions) {
    this.#platform = options.platform;
    this.#verbose = options.verbose ?? false;
    this.#quiet = options.quiet ?? false;
    this.#knownValues = options.knownValues ?? knownSecretValues;
    const path = logFilePath(options.home, options.logFile);
    this.#file = path === null ? null : new RotatingFile(options.platform, {
      path,
      maxBytes: options.maxBytes,
      keep: options.keep,
    });
  }

  debug(message: string, fields?: LogFields): void {
    this.#log("debug", message, fields);
  }
  info(message: string, fields?: LogFields): void {
    this.#log("info", message, fields);
  }
  warn(message: string, fields?: LogFields): void {
    this.#log("warn", message, fields);
  }
  error(message: string, fields?: LogFields): void {
    this.#log("error", message, fields);
  }

  #log(level: LogLevel, message: string, fields: LogFields | undefined): void {
    try {
      const redactor = createRedactor(this.#knownValues());
      const text = oneLine(redactor.text(String(message)));
      const hasFields = fields !== undefined && Object.keys(fields).length > 0;
      const json = hasFields ? ` ${JSON.stringify(redactor.fields(fields))}` : "";
      if ((level === "warn" && !this.#quiet) || level === "error") {
        this.#stderr(`${level === "warn" ? "Warning" : "Error"}: ${text}\n`);
      } else if (this.#verbose) {
        this.#stderr(`${LEVEL_NAMES[level]} ${truncate(text + json)}\n`);
      }
      if (this.#file !== null) {
        const timestamp = new Date(this.#platform.clock.now()).toISOString();
        this.#enqueue(`${timestamp} ${LEVEL_NAMES[level]} ${truncate(text + json)}\n`);
      }
    } catch {
      // A field that cannot be serialised loses its line, never the command.
    }
  }

  #stderr(text: string): void {
    try {
      this.#platform.terminal.writeStderr(text);
    } catch {
      // Nowhere left to report to.
    }
  }

  #enqueue(line: string): void {
    this.#pending.push(line);
    // Deferred by a microtask so a burst of lines becomes one append.
    this.#draining ??= Promise.resolve().then(() => this.#drain());
  }

  async #drain(): Promise<void> {
    try {
      while (this.#pending.length > 0 && this.#file !== null) {
        const chunk = this.#pending.join("");
        this.#pending = [];
        try {
          await this.#file.write(chunk);
        } catch (error) {
          this.#reportFileFailure(this.#file.path, error);
        }
      }
      this.#pending = [];
    } finally {
      this.#draining = null;
    }
  }

  #reportFileFailure(path: string, error: unknown): void {
    if (this.#fileFailed) return;
    this.#fileFailed = true;
    const reason = error instanceof Error ? error.message : String(error);
    const redactor = createRedactor(this.#knownValues());
    this.#stderr(
      `Warning: cannot write the debug log ${path}: ${oneLine(redactor.text(reason))}\n`,
    );
  }

  async flush(): Promise<void> {
    while (this.#draining !== null) await this.#draining;
  }

  async close(): Promise<void> {
    await this.flush();
    this.#file = null;
  }
}

/** A logger writing to the debug log file and stderr as the global flags ask. */
export function createLogger(options: LoggerOptions): Logger {
  return new SinkLogger(options);
}

/** A logger that discards everything: for tests and library callers that want silence. */
export const nullLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  flush: () => Promise.resolve(),
  close: () => Promise.resolve(),
};
