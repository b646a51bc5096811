/**
 * Request and response plumbing of the daemon's handler: method checks, the bounded JSON body
 * reader, JSON responses and the constant-time token comparison.
 *
 * @module
 */
import { UsageError } from "../errors.ts";
import { concat } from "../platform/bytes.ts";
import { DaemonHttpError } from "./errors.ts";

/** The largest request body accepted. */
export const MAX_BODY_BYTES = 16 * 1024;

/** Refuses any other method with 405 and an `Allow` header. */
export function allow(request: Request, method: "GET" | "POST" | "DELETE"): void {
  if (request.method !== method) {
    throw new DaemonHttpError(405, "method_not_allowed", `use ${method}`, {
      headers: { Allow: method },
    });
  }
}

/** Reads a JSON object body of at most {@linkcode MAX_BODY_BYTES}. */
export async function readJson(request: Request): Promise<Record<string, unknown>> {
  const text = await readBody(request);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new UsageError("the request body is not valid JSON");
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new UsageError("the request body must be a JSON object");
  }
  return parsed as Record<string, unknown>;
}

/** Reads a JSON body's text, at most {@linkcode MAX_BODY_BYTES}. */
export async function readBody(request: Request): Promise<string> {
  const type = request.headers.get("content-type");
  if (type !== null && type.split(";")[0].trim().toLowerCase() !== "application/json") {
    throw new DaemonHttpError(415, "unsupported_media_type", "send Content-Type: application/json");
  }
  const tooLarge = () =>
    new DaemonHttpError(413, "payload_too_large", `bodies are limited to ${MAX_BODY_BYTES} bytes`);
  if (Number(request.headers.get("content-length") ?? 0) > MAX_BODY_BYTES) {
    await request.body?.cancel();
    throw tooLarge();
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  if (request.body) {
    const reader = request.body.getReader();
    while (true) {
      const { value, done } = await reader.read();
      if (done) break;
      size += value.length;
      if (size > MAX_BODY_BYTES) {
        await reader.cancel();
        throw tooLarge();
      }
      chunks.push(value);
    }
  }
  return new TextDecoder().decode(concat(chunks));
}

export function json(
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: {
      "Content-Type": "application/json",
      "Cache-Control": "no-store",
      "X-Content-Type-Options": "nosniff",
      ...headers,
    },
  });
}

/** Constant-time comparison: the time depends only on the lengths, never on the contents. */
export function sameBytes(given: Uint8Array, expected: Uint8Array): boolean {
  let diff = given.length ^ expected.length;
  const length = Math.max(given.length, expected.length);
  for (let i = 0; i < length; i++) diff |= (given[i] ?? 0) ^ (expected[i] ?? 0);
  return diff === 0;
}
