/**
 * What a command's `run` receives.
 *
 * @module
 */
import type { AuthsomeContext, LogSink } from "../auth/context.ts";
import type { Platform } from "../platform/types.ts";
import type { Output } from "./output.ts";
import type { ParsedCommandLine } from "./spec.ts";

/** One run of one command. */
export interface Invocation {
  ctx: AuthsomeContext;
  parsed: ParsedCommandLine;
  out: Output;
  platform: Platform;
  log: LogSink;
}

/** A command implementation module. */
export interface CommandModule {
  run(invocation: Invocation): Promise<number>;
}

/** The string value of a flag, or undefined. */
export function stringFlag(invocation: Invocation, name: string): string | undefined {
  const value = invocation.parsed.flags[name];
  return typeof value === "string" ? value : undefined;
}

/** Whether a boolean flag is set. */
export function booleanFlag(invocation: Invocation, name: string): boolean {
  return invocation.parsed.flags[name] === true;
}
