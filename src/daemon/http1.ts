/**
 * The few bytes of HTTP/1.1 the daemon client needs: one request with `Connection: close`, and
 * the parsing of the one response (fixed length, chunked, or read to the end). Pure: the bytes
 * travel through `Platform.loopbackRequest`, which never consults a proxy.
 *
 * @module
 */
import { concat } from "../platform/bytes.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A request to the daemon. */
export interface LoopbackRequest {
  method: "GET" | "POST" | "DELETE";
  /** Path and query, e.g. `/v1/token`. */
  path: string;
  port: number;
  token: string;
  /** Sent as JSON when present. */
  body?: unknown;
  /** Extra header lines (names and values must be plain visible ASCII). */
  headers?: Record<string, string>;
}

/** A parsed response. */
export interface LoopbackResponse {
  status: number;
  /** Header names lower-cased. */
  headers: Map<string, string>;
  body: Uint8Array;
}

/** The request bytes. */
export function encodeRequest(request: LoopbackRequest): Uint8Array {
  if (!/^\/[\x21-\x7e]*$/.test(request.path)) throw new Error("invalid request path");
  const body = request.body === undefined ? null : encoder.encode(JSON.stringify(request.body));
  const lines = [
    `${request.method} ${request.path} HTTP/1.1`,
    `Host: 127.0.0.1:${request.port}`,
    `Authorization: Bearer ${request.token}`,
    "Accept: application/json",
    "Connection: close",
  ];
  for (const [name, value] of Object.entries(request.headers ?? {})) {
    if (!/^[A-Za-z0-9-]+$/.test(name) || !/^[\x20-\x7e]*$/.test(value)) {
      throw new Error("invalid request header");
    }
    lines.push(`${name}: ${value}`);
  }
  if (body) lines.push("Content-Type: application/json", `Content-Length: ${body.length}`);
  const head = encoder.encode(`${lines.join("\r\n")}\r\n\r\n`);
  if (!body) return head;
  const out = new Uint8Array(head.length + body.length);
  out.set(head);
  out.set(body, head.length);
  return out;
}

/** Parses one complete response; throws on anything malformed or truncated. */
export function parseResponse(bytes: Uint8Array): LoopbackResponse {
  const end = indexOf(bytes, [13, 10, 13, 10], 0);
  if (end === -1) throw new Error("truncated response head");
  const lines = decoder.decode(bytes.subarray(0, end)).split("\r\n");
  const status = /^HTTP\/1\.[01] (\d{3})(?: |$)/.exec(lines[0]);
  if (!status) throw new Error("not an HTTP/1.1 response");
  const headers = new Map<string, string>();
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(":");
    if (colon <= 0) throw new Error("malformed response header");
    headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  const rest = bytes.subarray(end + 4);
  let body: Uint8Array;
  if (headers.get("transfer-encoding")?.toLowerCase() === "chunked") {
    body = dechunk(rest);
  } else if (headers.has("content-length")) {
    const length = Number(headers.get("content-length"));
    if (!Number.isSafeInteger(length) || length < 0) throw new Error("bad Content-Length");
    if (rest.length < length) throw new Error("truncated response body");
    body = rest.subarray(0, length);
  } else {
    body = rest;
  }
  return { status: Number(status[1]), headers, body };
}

/** The body of a chunked response (trailers ignored). */
function dechunk(data: Uint8Array): Uint8Array {
  const parts: Uint8Array[] = [];
  let offset = 0;
  while (true) {
    const lineEnd = indexOf(data, [13, 10], offset);
    if (lineEnd === -1) throw new Error("truncated chunk");
    const size = parseInt(decoder.decode(data.subarray(offset, lineEnd)).split(";")[0], 16);
    if (!Number.isSafeInteger(size) || size < 0) throw new Error("bad chunk size");
    const start = lineEnd + 2;
    if (size === 0) break;
    if (data.length < start + size + 2) throw new Error("truncated chunk");
    parts.push(data.subarray(start, start + size));
    offset = start + size + 2;
  }
  return concat(parts);
}

function indexOf(data: Uint8Array, needle: number[], from: number): number {
  outer: for (let i = from; i <= data.length - needle.length; i++) {
    for (let j = 0; j < needle.length; j++) if (data[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}
