/**
 * Just enough HTTP/1.1 (RFC 9112) for the `run` proxy to rewrite request heads on a TLS
 * connection it terminated while passing everything else through byte for byte: request heads
 * are parsed and re-serialised, bodies are copied verbatim (their framing is followed only to
 * find where the next request starts), and responses are not parsed at all. So compressed,
 * chunked and streamed responses reach the client exactly as the server sent them.
 *
 * Heads whose framing two parsers could disagree on (request smuggling) are refused: both
 * Content-Length and Transfer-Encoding, a Transfer-Encoding other than `chunked`, conflicting
 * lengths, folded or malformed header lines, bare CR or LF.
 *
 * @module
 */

/** Largest request head accepted. */
export const MAX_HEAD = 64 * 1024;
const MAX_LINE = 8 * 1024;
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** Control characters other than HTAB: no field value, target or chunk line may hold one. */
// deno-lint-ignore no-control-regex -- control characters are exactly what is refused here
const CONTROL = /[\x00-\x08\x0a-\x1f\x7f]/;
/**
 * A chunk-size line (RFC 9112 §7.1.1): hex size, optional extensions, CRLF and nothing else.
 * A bare LF or CR inside would end the line early for a lenient upstream and desynchronise it
 * (the "funky chunks" class of request smuggling).
 */
// deno-lint-ignore no-control-regex -- control characters are exactly what is refused here
const CHUNK_LINE = /^([0-9a-fA-F]{1,12})(?:[ \t]*;[^\x00-\x08\x0a-\x1f\x7f]*)?\r\n$/;
const encoder = new TextEncoder();
const latin1 = new TextDecoder("latin1");

/** A request head. Header values keep their original text. */
export interface RequestHead {
  method: string;
  target: string;
  version: string;
  headers: [string, string][];
}

/** How the body after a head is delimited. */
export type BodyFraming = { kind: "length"; length: number } | { kind: "chunked" };

/** A malformed or ambiguous request: answered with 400 and the connection closed. */
export class BadRequest extends Error {}

/** Buffered reads from a byte stream. */
export class ByteReader {
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;
  #buffer: Uint8Array;

  constructor(reader: ReadableStreamDefaultReader<Uint8Array>, initial = new Uint8Array(0)) {
    this.#reader = reader;
    this.#buffer = initial;
  }

  async #fill(): Promise<boolean> {
    const { value, done } = await this.#reader.read();
    if (done) return false;
    const next = new Uint8Array(this.#buffer.length + value.length);
    next.set(this.#buffer);
    next.set(value, this.#buffer.length);
    this.#buffer = next;
    return true;
  }

  #take(length: number): Uint8Array {
    const out = this.#buffer.slice(0, length);
    this.#buffer = this.#buffer.subarray(length);
    return out;
  }

  /** Bytes up to and including `delimiter`; null at end of stream before any byte. */
  async until(delimiter: string, max: number): Promise<Uint8Array | null> {
    const needle = encoder.encode(delimiter);
    let from = 0;
    while (true) {
      const at = indexOf(this.#buffer, needle, from);
      if (at !== -1) return this.#take(at + needle.length);
      if (this.#buffer.length > max) throw new BadRequest("request head or line too long");
      from = Math.max(0, this.#buffer.length - needle.length + 1);
      if (!(await this.#fill())) {
        if (this.#buffer.length === 0) return null;
        throw new BadRequest("connection closed in the middle of a request");
      }
    }
  }

  /** Up to `max` bytes (at least one); null at end of stream. */
  async some(max: number): Promise<Uint8Array | null> {
    if (this.#buffer.length === 0 && !(await this.#fill())) return null;
    return this.#take(Math.min(max, this.#buffer.length));
  }

  /** Whatever is buffered, then every later chunk, for a connection that stops being HTTP. */
  async *rest(): AsyncGenerator<Uint8Array> {
    if (this.#buffer.length > 0) yield this.#take(this.#buffer.length);
    while (true) {
      const { value, done } = await this.#reader.read();
      if (done) return;
      yield value;
    }
  }
}

function indexOf(haystack: Uint8Array, needle: Uint8Array, from: number): number {
  outer: for (let i = from; i <= haystack.length - needle.length; i++) {
    for (let j = 0; j < needle.length; j++) {
      if (haystack[i + j] !== needle[j]) continue outer;
    }
    return i;
  }
  return -1;
}

/** Parses a head (the bytes up to and including the blank line). */
export function parseRequestHead(bytes: Uint8Array): RequestHead {
  const text = latin1.decode(bytes).slice(0, -4);
  const lines = text.split("\r\n");
  if (lines.some((line) => /[\r\n\0]/.test(line))) {
    throw new BadRequest("bare CR, LF or NUL in the request head");
  }
  const parts = lines[0].split(" ");
  if (
    parts.length !== 3 || !TOKEN.test(parts[0]) || !/^HTTP\/1\.[01]$/.test(parts[2]) ||
    !/^[\x21-\x7e\x80-\xff]+$/.test(parts[1])
  ) {
    throw new BadRequest("malformed request line");
  }
  return {
    method: parts[0],
    target: parts[1],
    version: parts[2],
    headers: lines.slice(1).map(parseFieldLine),
  };
}

/** `name: value`, the value trimmed of spaces and tabs; anything else is refused. */
function parseFieldLine(line: string): [string, string] {
  const colon = line.indexOf(":");
  const name = colon > 0 ? line.slice(0, colon) : "";
  if (!TOKEN.test(name)) throw new BadRequest("malformed or folded header line");
  const value = line.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, "");
  if (CONTROL.test(value)) throw new BadRequest("control character in a header value");
  return [name, value];
}

/** Every value of a header (case-insensitive name). */
export function headerValues(head: RequestHead, name: string): string[] {
  const lower = name.toLowerCase();
  return head.headers.filter(([n]) => n.toLowerCase() === lower).map(([, v]) => v);
}

/** How the request's body is framed (RFC 9112 §6.3), refusing ambiguous framing. */
export function bodyFraming(head: RequestHead): BodyFraming {
  const encodings = headerValues(head, "transfer-encoding");
  const lengths = headerValues(head, "content-length")
    .flatMap((value) => value.split(",").map((part) => part.trim()));
  if (encodings.length > 0) {
    // An HTTP/1.0 server ignores Transfer-Encoding (RFC 9112 §6.1): framing is faulty.
    if (head.version === "HTTP/1.0") {
      throw new BadRequest("Transfer-Encoding in an HTTP/1.0 request");
    }
    if (lengths.length > 0) throw new BadRequest("both Content-Length and Transfer-Encoding");
    const codings = encodings.join(",").split(",").map((c) => c.trim().toLowerCase());
    if (codings.length !== 1 || codings[0] !== "chunked") {
      throw new BadRequest("unsupported Transfer-Encoding (only chunked is accepted)");
    }
    return { kind: "chunked" };
  }
  if (lengths.length === 0) return { kind: "length", length: 0 };
  if (!lengths.every((value) => /^\d{1,15}$/.test(value) && value === lengths[0])) {
    throw new BadRequest("invalid or conflicting Content-Length");
  }
  return { kind: "length", length: Number(lengths[0]) };
}

/** The head as bytes. */
export function serializeHead(head: RequestHead): Uint8Array {
  const lines = [`${head.method} ${head.target} ${head.version}`];
  for (const [name, value] of head.headers) lines.push(`${name}: ${value}`);
  return Uint8Array.from(lines.join("\r\n") + "\r\n\r\n", (c) => c.charCodeAt(0) & 0xff);
}

/** Copies one body, framed as `framing`, from `reader` to `write`, byte for byte. */
export async function copyBody(
  reader: ByteReader,
  framing: BodyFraming,
  write: (bytes: Uint8Array) => Promise<void>,
): Promise<void> {
  if (framing.kind === "length") return await copyExactly(reader, framing.length, write);
  while (true) {
    const line = await reader.until("\r\n", MAX_LINE);
    if (line === null) throw new BadRequest("connection closed in a chunked body");
    const size = CHUNK_LINE.exec(latin1.decode(line));
    if (!size) throw new BadRequest("malformed chunk size line");
    await write(line);
    const length = parseInt(size[1], 16);
    if (length === 0) break;
    await copyExactly(reader, length, write);
    const end = await reader.until("\r\n", MAX_LINE);
    if (end === null || end.length !== 2) throw new BadRequest("chunk data not followed by CRLF");
    await write(end);
  }
  // Trailer fields, then the blank line that ends the message.
  while (true) {
    const line = await reader.until("\r\n", MAX_LINE);
    if (line === null) throw new BadRequest("connection closed in chunked trailers");
    if (line.length === 2) return await write(line);
    const text = latin1.decode(line).slice(0, -2);
    if (/[\r\n]/.test(text)) throw new BadRequest("bare CR or LF in a chunked trailer");
    parseFieldLine(text);
    await write(line);
  }
}

async function copyExactly(
  reader: ByteReader,
  length: number,
  write: (bytes: Uint8Array) => Promise<void>,
): Promise<void> {
  let left = length;
  while (left > 0) {
    const chunk = await reader.some(Math.min(left, 64 * 1024));
    if (chunk === null) throw new BadRequest("connection closed in the middle of a body");
    await write(chunk);
    left -= chunk.length;
  }
}

/** A complete plain-text response that closes the connection (400, 502, ...). */
export function closingResponse(status: number, reason: string, body: string): Uint8Array {
  const payload = encoder.encode(body);
  return encoder.encode(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: text/plain; charset=utf-8\r\n` +
      `Content-Length: ${payload.length}\r\nConnection: close\r\n\r\n${body}`,
  );
}
