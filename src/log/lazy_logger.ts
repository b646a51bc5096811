/**
 * A logger that loads the real one (redactor, rotating file) only when the first line is
 * logged. A `get` that finds a valid credential logs nothing, so it never pays for loading or
 * compiling the redaction patterns.
 *
 * @module
 */
import type { Logger, LoggerOptions } from "./logger.ts";

type Level = "debug" | "info" | "warn" | "error";

/** Creates a logger whose implementation is imported on first use. */
export function createLazyLogger(options: LoggerOptions): Logger & { readonly verbose: boolean } {
  let real: Promise<Logger> | null = null;
  let chain: Promise<void> = Promise.resolve();
  const load = () =>
    real ??= import("./logger.ts").then(({ createLogger }) => createLogger(options));
  const log = (level: Level) => (message: string, fields?: Record<string, unknown>) => {
    chain = chain.then(() => load()).then((logger) => logger[level](message, fields));
  };
  return {
    verbose: options.verbose ?? false,
    debug: log("debug"),
    info: log("info"),
    warn: log("warn"),
    error: log("error"),
    async flush() {
      await chain;
      if (real) await (await real).flush();
    },
    async close() {
      await chain;
      if (real) await (await real).close();
    },
  };
}
