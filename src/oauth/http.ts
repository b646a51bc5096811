/**
 * The HTTP plumbing every OAuth endpoint call shares: one request with a timeout that also
 * honours Ctrl-C, fetch failures mapped to the short reason phrases of docs/contract.md §4, body
 * parsing (JSON or form-encoded), the OAuth `error` check (before the status, because GitHub
 * and Slack send errors with HTTP 200) and client authentication (RFC 6749 §2.3.1).
 *
 * Nothing here prints or touches `Deno.*`: `fetch`, the log and the abort signal come in
 * through {@linkcode OAuthDeps}.
 *
 * @module
 */
import { InterruptedError } from "../errors.ts";
import { endpointUrlProblem } from "./endpoint_url.ts";
import { parseJsonObject } from "../model/json_object.ts";
import { isSecretKey } from "../model/secret_names.ts";
import { REDACTED_TEXT } from "../model/secret.ts";
import { concat } from "../platform/bytes.ts";
import {
  type ClientCredentials,
  EndpointUnreachableError,
  type OAuthDeps,
  OAuthProtocolError,
  type TokenEndpointAuthMethod,
} from "./types.ts";

/** A response read to the end. */
export interface EndpointResponse {
  status: number;
  contentType: string | null;
  text: string;
}

/** One HTTP request to an OAuth endpoint. */
export interface EndpointRequest {
  url: string;
  method: "GET" | "POST";
  headers: Headers;
  body?: string;
  timeoutMs: number;
  /** Follow redirects (GET of public metadata) or not (POSTs carrying credentials). */
  followRedirects: boolean;
}

/** The message of the error thrown when the user presses Ctrl-C. */
export const INTERRUPTED_MESSAGE = "interrupted";

/** Throws {@linkcode InterruptedError} if the caller's signal has fired. */
export function throwIfInterrupted(deps: Pick<OAuthDeps, "signal">): void {
  if (deps.signal?.aborted) throw new InterruptedError(INTERRUPTED_MESSAGE);
}

/**
 * Sends one request and reads the whole body, under one deadline (`timeoutMs`, covering the
 * connection, the headers and the body) and the caller's abort signal.
 *
 * The timeout is a cleared `setTimeout` feeding the same `AbortController` as `deps.signal`
 * (equivalent to `AbortSignal.any([AbortSignal.timeout(ms), signal])`, but leaves no timer
 * behind once the request is done).
 *
 * @throws InterruptedError when `deps.signal` aborts (before or during the request).
 * @throws EndpointUnreachableError with a docs/contract.md §4 reason for every network failure.
 */
export async function sendRequest(
  deps: OAuthDeps,
  request: EndpointRequest,
): Promise<EndpointResponse> {
  throwIfInterrupted(deps);
  let host: string;
  try {
    const parsed = new URL(request.url);
    if (parsed.protocol !== "https:" && parsed.protocol !== "http:") throw new TypeError();
    host = parsed.hostname;
  } catch {
    throw new EndpointUnreachableError("network error: invalid URL");
  }
  // The last line of defence: whatever produced the URL, nothing goes out over plain http
  // except to this machine.
  const insecure = endpointUrlProblem(request.url, "refused to contact");
  if (insecure) throw new EndpointUnreachableError(insecure);
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new DOMException("The request timed out", "TimeoutError"));
  }, request.timeoutMs);
  const onAbort = () => controller.abort(deps.signal?.reason);
  deps.signal?.addEventListener("abort", onAbort, { once: true });
  try {
    const response = await deps.fetch(request.url, {
      method: request.method,
      headers: request.headers,
      body: request.body,
      signal: controller.signal,
      redirect: request.followRedirects ? "follow" : "manual",
    });
    const text = await readCapped(response, MAX_RESPONSE_BYTES);
    if (text === null) {
      throw new EndpointUnreachableError(`response over ${MAX_RESPONSE_BYTES / 1024} KiB`);
    }
    return { status: response.status, contentType: response.headers.get("content-type"), text };
  } catch (error) {
    if (error instanceof EndpointUnreachableError) throw error;
    if (deps.signal?.aborted) throw new InterruptedError(INTERRUPTED_MESSAGE, { cause: error });
    if (timedOut) throw new EndpointUnreachableError("connection timed out", { cause: error });
    throw new EndpointUnreachableError(networkReason(error, host), { cause: error });
  } finally {
    clearTimeout(timer);
    deps.signal?.removeEventListener("abort", onAbort);
  }
}

/**
 * OAuth endpoints answer with a few kilobytes. A larger body is refused rather than buffered: a
 * broken or hostile server must not fill memory, nor get a token into the vault that is too
 * large to store.
 */
export const MAX_RESPONSE_BYTES = 1024 * 1024;

/** The body as text, or null once it passes `max` bytes (the rest is not read). */
async function readCapped(response: Response, max: number): Promise<string | null> {
  if (!response.body) return "";
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > max) {
      await reader.cancel();
      return null;
    }
    chunks.push(value);
  }
  return new TextDecoder().decode(concat(chunks));
}

/** The text of an error and of its causes, for classification. */
function errorText(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current !== undefined && current !== null; depth++) {
    if (current instanceof Error) {
      parts.push(`${current.name}: ${current.message}`);
      current = current.cause;
    } else {
      parts.push(String(current));
      break;
    }
  }
  return parts.join(" | ");
}

/**
 * Maps a fetch failure to a short plain phrase: `connection timed out`, `connection refused`,
 * `could not resolve host <host>` or `network error: <short>` (never the URL).
 */
export function networkReason(error: unknown, host: string): string {
  const text = errorText(error);
  const lower = text.toLowerCase();
  if (
    (error instanceof Error && error.name === "TimeoutError") || lower.includes("timed out") ||
    lower.includes("os error 110)") || lower.includes("os error 10060")
  ) {
    return "connection timed out";
  }
  if (
    lower.includes("connection refused") || lower.includes("econnrefused") ||
    lower.includes("actively refused") || lower.includes("os error 10061")
  ) {
    return "connection refused";
  }
  if (
    lower.includes("dns error") || lower.includes("failed to lookup address") ||
    lower.includes("name or service not known") || lower.includes("nodename nor servname") ||
    lower.includes("no such host") || lower.includes("enotfound") ||
    lower.includes("temporary failure in name resolution")
  ) {
    return `could not resolve host ${host}`;
  }
  return `network error: ${shortDetail(text)}`;
}

/** The innermost detail of a fetch error message, without URLs or OS error numbers. */
function shortDetail(text: string): string {
  const last = text.split(" | ").pop() ?? text;
  const withoutName = last.replace(/^[A-Za-z]*Error: /, "").replace(/^fetch failed:?\s*/i, "");
  const tail = withoutName.includes("): ")
    ? withoutName.slice(withoutName.lastIndexOf("): ") + 3)
    : withoutName;
  const cleaned = tail
    .replace(/https?:\/\/\S+/g, "<url>")
    .replace(/\s*\(os error \d+\)/gi, "")
    .replace(/\s+/g, " ")
    .trim()
    .toLowerCase();
  const short = cleaned.length > 100 ? `${cleaned.slice(0, 97)}...` : cleaned;
  return short.length > 0 ? short : "request failed";
}

/** Provider-specific error codes and the RFC 6749 §5.2 code they mean. */
const ERROR_ALIASES: Readonly<Record<string, string>> = {
  // GitHub (sent with HTTP 200)
  bad_refresh_token: "invalid_grant",
  bad_verification_code: "invalid_grant",
  incorrect_device_code: "invalid_grant",
  incorrect_client_credentials: "invalid_client",
  // Slack (`{"ok": false, "error": ...}` with HTTP 200)
  invalid_refresh_token: "invalid_grant",
  invalid_code: "invalid_grant",
  code_already_used: "invalid_grant",
  invalid_client_id: "invalid_client",
  bad_client_secret: "invalid_client",
};

/** The RFC 6749 error code for a provider's error code. */
export function normalizeOAuthError(error: string): string {
  return ERROR_ALIASES[error] ?? error;
}

/** Printable ASCII only, bounded: an error code or description from a server. */
export function cleanServerText(text: string, max: number): string {
  const cleaned = text.replace(/[^\x20-\x7e]+/g, " ").replace(/\s+/g, " ").trim();
  return cleaned.length > max ? `${cleaned.slice(0, max - 3)}...` : cleaned;
}

const FORM_BODY = /^[A-Za-z0-9_.~%+-]+=[^\s<>&]*(?:&[A-Za-z0-9_.~%+-]+=[^\s<>&]*)*$/;

function parseForm(text: string): Record<string, unknown> {
  const record: Record<string, unknown> = {};
  for (const [key, value] of new URLSearchParams(text.trim())) record[key] = value;
  return record;
}

/**
 * A response body as a record: form-encoded when the type says so (GitHub without `Accept`),
 * otherwise JSON, falling back to form-encoded when the body looks like one. Null when it is
 * neither.
 */
export function parseBodyRecord(
  contentType: string | null,
  text: string,
): Record<string, unknown> | null {
  const type = (contentType ?? "").split(";")[0].trim().toLowerCase();
  if (type === "application/x-www-form-urlencoded") return parseForm(text);
  const json = parseJsonObject(text);
  if (json) return json;
  return FORM_BODY.test(text.trim()) ? parseForm(text) : null;
}

/**
 * Checks a response the way every OAuth endpoint answers, and returns its body as a record:
 *
 * 1. HTTP 5xx and 429: {@linkcode EndpointUnreachableError} `HTTP <n> from <endpoint>`,
 *    whatever the body (a transient server state says nothing about the grant);
 * 2. an `error` string in the body, whatever the status (GitHub and Slack use HTTP 200):
 *    {@linkcode OAuthProtocolError} with the normalised code;
 * 3. any other non-2xx status: `HTTP <n> from <endpoint>` (a status without an OAuth error
 *    proves nothing about the grant, so it is never a rejection);
 * 4. a 2xx body that is neither JSON nor form-encoded: `invalid response from <endpoint>`.
 */
export function checkOAuthResponse(
  status: number,
  contentType: string | null,
  text: string,
  endpoint: string,
): Record<string, unknown> {
  if (status >= 500 || status === 429) {
    throw new EndpointUnreachableError(`HTTP ${status} from ${endpoint}`);
  }
  const record = parseBodyRecord(contentType, text);
  const error = record?.error;
  if (typeof error === "string" && error.trim().length > 0) {
    const providerError = cleanServerText(error, 80);
    const code = normalizeOAuthError(providerError);
    const rawDescription = record?.error_description;
    const description = typeof rawDescription === "string" && rawDescription.trim().length > 0
      ? cleanServerText(rawDescription, 300)
      : null;
    throw new OAuthProtocolError(code, description, status, { providerError });
  }
  if (status < 200 || status > 299) {
    throw new EndpointUnreachableError(`HTTP ${status} from ${endpoint}`);
  }
  if (!record) throw new EndpointUnreachableError(`invalid response from ${endpoint}`);
  return record;
}

/**
 * Runs `check` on a response; when it throws, logs the status and the whole response body at
 * debug (the sink redacts secret-named keys and known secret values) and rethrows. Successful
 * bodies are never logged: they hold the tokens.
 */
export function checkLoggingFailures<T>(
  deps: OAuthDeps,
  endpoint: string,
  url: string,
  response: EndpointResponse,
  check: (response: EndpointResponse) => T,
): T {
  try {
    return check(response);
  } catch (error) {
    const max = 16_384;
    const body = response.text.length > max
      ? `${response.text.slice(0, max)}... (${response.text.length - max} more characters)`
      : response.text;
    deps.log.debug(`${endpoint} request failed`, {
      url,
      status: response.status,
      content_type: response.contentType,
      body,
    });
    throw error;
  }
}

/** Request fields shown in the debug log; every other field is shown as `[redacted]`. */
const LOGGABLE_FIELDS = new Set([
  "grant_type",
  "client_id",
  "redirect_uri",
  "scope",
  "token_type_hint",
  "audience",
  "resource",
]);

/** The request body for the debug log: names kept, every value but the harmless ones masked. */
export function redactedFields(fields: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(fields)) {
    out[key] = LOGGABLE_FIELDS.has(key) ? value : REDACTED_TEXT;
  }
  return out;
}

/** `application/x-www-form-urlencoded` encoding of one value (RFC 6749 Appendix B). */
export function formEncode(value: string): string {
  return new URLSearchParams([["", value]]).toString().slice(1);
}

/**
 * The effective client authentication: the requested method, `client_secret_post` by default
 * when the client has a secret, and `none` (client_id in the body) when it has none.
 */
export function effectiveAuthMethod(
  client: ClientCredentials,
  requested: TokenEndpointAuthMethod | undefined,
): TokenEndpointAuthMethod {
  const hasSecret = client.clientSecret !== null && !client.clientSecret.isEmpty;
  if (!hasSecret) return "none";
  return requested ?? "client_secret_post";
}

/** A POST to an OAuth endpoint with client authentication. */
export interface ClientPost {
  url: string;
  /** The grant's fields, without client authentication. */
  params: Record<string, string>;
  client: ClientCredentials;
  authMethod?: TokenEndpointAuthMethod;
  /** Send the fields as a JSON object instead of a form. */
  json?: boolean;
  timeoutMs: number;
  /** `token endpoint`, `revocation endpoint`, ... for logs and reasons. */
  endpoint: string;
}

/**
 * POSTs `params` plus client authentication (RFC 6749 §2.3.1): `client_secret_basic` sends
 * `Authorization: Basic base64(form(id):form(secret))` and no client_id in the body;
 * `client_secret_post` sends `client_id` and `client_secret`; `none` sends `client_id`.
 * Logs the URL and the body with every secret value masked. Redirects are not followed, so a
 * redirecting endpoint never receives the credentials twice (it fails as `HTTP 30x`).
 */
export function postWithClient(deps: OAuthDeps, post: ClientPost): Promise<EndpointResponse> {
  const method = effectiveAuthMethod(post.client, post.authMethod ?? post.client.authMethod);
  const fields: Record<string, string> = { ...post.params };
  const headers = new Headers({ Accept: "application/json" });
  const secret = post.client.clientSecret?.reveal() ?? "";
  if (method === "client_secret_basic") {
    const pair = `${formEncode(post.client.clientId)}:${formEncode(secret)}`;
    headers.set("Authorization", `Basic ${btoa(pair)}`);
  } else {
    // "": a public client the provider knows by no id (device flows keyed by the device code).
    if (post.client.clientId !== "") fields.client_id = post.client.clientId;
    if (method === "client_secret_post") fields.client_secret = secret;
  }
  let body: string;
  if (post.json) {
    headers.set("Content-Type", "application/json");
    body = JSON.stringify(fields);
  } else {
    headers.set("Content-Type", "application/x-www-form-urlencoded");
    body = new URLSearchParams(fields).toString();
  }
  deps.log.debug(`POST ${post.endpoint}`, {
    url: post.url,
    auth_method: method,
    encoding: post.json ? "json" : "form",
    body: redactedFields(fields),
  });
  return sendRequest(deps, {
    url: post.url,
    method: "POST",
    headers,
    body,
    timeoutMs: post.timeoutMs,
    followRedirects: false,
  });
}

/**
 * The non-secret part of a server response, for storing: secret-named keys (`*token*`,
 * `*secret*`, `code`, ...) are dropped at every depth; descriptors such as `token_type` or
 * `refresh_token_expires_in` stay.
 */
export function nonSecretFields(
  record: Record<string, unknown>,
  skip: ReadonlySet<string> = new Set(),
  depth = 0,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(record)) {
    if (skip.has(key) || isSecretKey(key)) continue;
    const cleaned = nonSecretValue(value, depth + 1);
    if (cleaned !== undefined) out[key] = cleaned;
  }
  return out;
}

function nonSecretValue(value: unknown, depth: number): unknown {
  if (value === null || typeof value === "string" || typeof value === "boolean") return value;
  if (typeof value === "number") return Number.isFinite(value) ? value : undefined;
  if (depth > 8) return undefined;
  if (Array.isArray(value)) {
    return value.map((item) => nonSecretValue(item, depth + 1)).filter((item) =>
      item !== undefined
    );
  }
  if (typeof value === "object") {
    return nonSecretFields(value as Record<string, unknown>, new Set(), depth);
  }
  return undefined;
}

/** A non-negative whole number of seconds from a number or a digit string; else undefined. */
export function parseSeconds(value: unknown): number | undefined {
  if (typeof value === "number" && Number.isFinite(value) && value >= 0) return Math.floor(value);
  if (typeof value === "string" && /^\d+$/.test(value)) return Number(value);
  return undefined;
}
