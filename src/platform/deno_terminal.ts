/**
 * The real terminal on Deno: output, and masked or visible line input.
 * Part of the only layer (with `cli.ts`) that touches `Deno.*`.
 *
 * @module
 */
import { InterruptedError } from "../errors.ts";
import { concat } from "./bytes.ts";
import type { Terminal } from "./types.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

async function readMaskedLine(prompt: string): Promise<string> {
  Deno.stderr.writeSync(encoder.encode(prompt));
  Deno.stdin.setRaw(true);
  const chars: string[] = [];
  const buffer = new Uint8Array(64);
  try {
    while (true) {
      const n = await Deno.stdin.read(buffer);
      if (n === null) break;
      for (const ch of decoder.decode(buffer.subarray(0, n))) {
        if (ch === "\u0003") throw new InterruptedError("Cancelled.");
        if (ch === "\r" || ch === "\n" || ch === "\u0004") return chars.join("");
        if (ch === "\u007f" || ch === "\b") {
          if (chars.length > 0) {
            chars.pop();
            Deno.stderr.writeSync(encoder.encode("\b \b"));
          }
          continue;
        }
        if (ch < " ") continue;
        chars.push(ch);
        Deno.stderr.writeSync(encoder.encode("*"));
      }
    }
    return chars.join("");
  } finally {
    Deno.stdin.setRaw(false);
    Deno.stderr.writeSync(encoder.encode("\n"));
  }
}

async function readVisibleLine(prompt: string): Promise<string> {
  Deno.stderr.writeSync(encoder.encode(prompt));
  const bytes: number[] = [];
  const buffer = new Uint8Array(1);
  while (true) {
    const n = await Deno.stdin.read(buffer);
    if (n === null) {
      if (bytes.length === 0) throw new InterruptedError("Cancelled.");
      break;
    }
    if (buffer[0] === 10) break;
    bytes.push(buffer[0]);
  }
  return decoder.decode(new Uint8Array(bytes)).replace(/\r$/, "");
}

function writeAll(stream: { writeSync(p: Uint8Array): number }, text: string): void {
  const data = encoder.encode(text);
  let written = 0;
  while (written < data.length) {
    try {
      written += stream.writeSync(data.subarray(written));
    } catch (error) {
      // A closed pipe (`authsome log | head`) is not our failure.
      if (error instanceof Deno.errors.BrokenPipe) return;
      throw error;
    }
  }
}

/** The real terminal. */
export const denoTerminal: Terminal = {
  stdinIsTerminal: Deno.stdin.isTerminal(),
  stdoutIsTerminal: Deno.stdout.isTerminal(),
  stderrIsTerminal: Deno.stderr.isTerminal(),
  writeStdout: (text) => writeAll(Deno.stdout, text),
  writeStderr: (text) => writeAll(Deno.stderr, text),
  async readStdin() {
    const chunks: Uint8Array[] = [];
    for await (const chunk of Deno.stdin.readable) chunks.push(chunk);
    return decoder.decode(concat(chunks));
  },
  readMasked: readMaskedLine,
  readLine: readVisibleLine,
};
