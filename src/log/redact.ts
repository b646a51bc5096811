/**
 * Secret redaction at the log sink (docs/contract.md §7). Call sites log freely; every line passes
 * through here before it reaches a file or the terminal. Three layers, applied in this order:
 *
 * 1. exact values of the secrets this process has loaded (plus their URL- and JSON-escaped
 *    forms), first, so no later layer can split a known value and leave its tail behind;
 * 2. key names (`*token*`, `*secret*`, `password`, `code`, `authorization`, ...) in JSON,
 *    `key=value` bodies, `"key": "value"` text and `Header: value` lines;
 * 3. token shapes (`Bearer x`, JWTs, `ghp_`, `xoxb-`, `sk-`, `AKIA`, `AIza`, `ya29.`, `1//`, ...).
 *
 * Keys that merely describe a secret (`token_url`, `token_type`, `expires_in`,
 * `token_endpoint_auth_method`, `client_secret_expires_at`) stay readable: a key is secret only
 * when its last word is not a descriptor such as `url`, `type`, `method` or `at`.
 *
 * @module
 */
import { knownSecretValues, REDACTED_TEXT, Secret } from "../model/secret.ts";
import { isDescriptorKey, isSecretKey, normalizeKey } from "../model/secret_names.ts";

export { isSecretKey };

const R = REDACTED_TEXT;
/** Same floor as the Secret registry: shorter values would mask ordinary words. */
const MIN_KNOWN_LENGTH = 6;
const MAX_DEPTH = 32;

/**
 * The process registry only grows, so its prepared form stays valid until its size changes;
 * caching it keeps each log line from re-encoding every known secret.
 */
let registryCache: { size: number; known: string[] } | null = null;

function prepareKnown(values: Iterable<string>): string[] {
  const registry = knownSecretValues();
  if (values !== registry) return prepareKnownUncached(values);
  if (registryCache?.size !== registry.size) {
    registryCache = { size: registry.size, known: prepareKnownUncached(registry) };
  }
  return registryCache.known;
}

/** Known values and the escaped forms they take inside form bodies, URLs and JSON. */
function prepareKnownUncached(values: Iterable<string>): string[] {
  const variants = new Set<string>();
  for (const value of values) {
    if (typeof value !== "string" || value.length < MIN_KNOWN_LENGTH) continue;
    variants.add(value);
    variants.add(encodeURIComponent(value));
    variants.add(new URLSearchParams({ v: value }).toString().slice(2));
    variants.add(JSON.stringify(value).slice(1, -1));
  }
  // Longest first: a shorter value inside a longer one must not break the longer match.
  return [...variants].sort((a, b) => b.length - a.length);
}

const PRIVATE_KEY_BLOCK =
  /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|$)/g;
const HEADER_LINE = /^([ \t]*)([A-Za-z][\w-]*)([ \t]*:[ \t]*)(\S.*)$/gm;
const QUOTED_PAIR =
  /(?<![\w.-])(?:"((?:[^"\\\n]|\\.){1,100})"|'((?:[^'\\\n]|\\.){1,100})'|([A-Za-z_][\w-]*))(\s*:\s*)("(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|-?\d[\d.eE+-]*)/g;
const KEY_EQUALS = /(?<![\w.])([A-Za-z_][\w.\-[\]]*)=/g;
/** A bare `key=value` value ends at the next parameter, blank, quote or JSON escape. */
const BARE_VALUE = /[^&\s"'\\]*/y;
const AUTH_SCHEME = /\b(bearer|basic)(\s+)([A-Za-z0-9\-._~+/]+=*)/gi;
/** Words that follow "Bearer"/"Basic" in prose and in `WWW-Authenticate`, not credentials. */
const SCHEME_PROSE = new Set(
  ("token tokens auth authentication authorization scheme realm header credentials credential " +
    "access error").split(" "),
);
const TOKEN_SHAPES: readonly RegExp[] = [
  /\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}(?:\.[A-Za-z0-9_-]*){0,3}/g,
  /\bgh[pousr]_[A-Za-z0-9]{20,}/g,
  /\bgithub_pat_[A-Za-z0-9_]{20,}/g,
  /\bxox[a-z]-[A-Za-z0-9-]{10,}/g,
  /\bxapp-[A-Za-z0-9-]{10,}/g,
  /\bsk-(?:ant-|proj-|svcacct-|admin-)?[A-Za-z0-9_-]{16,}/g,
  /\b[rs]k_(?:live|test)_[A-Za-z0-9]{16,}/g,
  /\b(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}\b/g,
  /\bAIza[0-9A-Za-z_-]{35}/g,
  /\bya29\.[0-9A-Za-z_-]{10,}/g,
  /(?<![\w/:])1\/\/[0-9A-Za-z_-]{20,}/g,
  /\bglpat-[0-9A-Za-z_-]{20,}/g,
  /\bhf_[A-Za-z0-9]{30,}/g,
  /\bnpm_[A-Za-z0-9]{36}\b/g,
];
const URL_PASSWORD = /\b([a-z][a-z0-9+.-]*:\/\/[^\s:/@]+:)([^\s@/]+)@/gi;

/** "basic" is an ordinary word; a Basic credential is base64 of `user:password`. */
function isBasicCredential(candidate: string): boolean {
  try {
    return atob(candidate).includes(":");
  } catch {
    return false;
  }
}

function redactKeyEquals(text: string): string {
  let out = "";
  let last = 0;
  const re = new RegExp(KEY_EQUALS);
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    if (!isSecretKey(m[1])) continue;
    const start = re.lastIndex;
    const quote = text[start];
    let end: number;
    if (quote === '"' || quote === "'") {
      const close = text.indexOf(quote, start + 1);
      end = close === -1 ? text.length : close + 1;
      out += text.slice(last, start) + quote + R + quote;
    } else {
      BARE_VALUE.lastIndex = start;
      end = start + (BARE_VALUE.exec(text)?.[0].length ?? 0);
      if (end === start) continue;
      out += text.slice(last, start) + R;
    }
    last = end;
    re.lastIndex = end;
  }
  return out + text.slice(last);
}

function redactPrepared(text: string, known: readonly string[]): string {
  let s = text;
  for (const value of known) {
    if (s.includes(value)) s = s.replaceAll(value, R);
  }
  s = s.replace(PRIVATE_KEY_BLOCK, R);
  s = s.replace(
    HEADER_LINE,
    (all, indent, name, sep) => isSecretKey(name) ? `${indent}${name}${sep}${R}` : all,
  );
  s = s.replace(QUOTED_PAIR, (all, dq, sq, bare, sep, value: string) => {
    const key = dq ?? sq ?? bare;
    if (!isSecretKey(key)) return all;
    const head = all.slice(0, all.length - value.length - sep.length) + sep;
    if (value[0] === '"' || value[0] === "'") return `${head}${value[0]}${R}${value[0]}`;
    // A bare number after an unquoted key is prose ("code: 42"), after a JSON key it is data.
    return bare === undefined ? `${head}"${R}"` : all;
  });
  s = redactKeyEquals(s);
  s = s.replace(
    AUTH_SCHEME,
    (all, scheme: string, gap, cred: string, at: number, whole: string) => {
      if (scheme.toLowerCase() === "basic") {
        return isBasicCredential(cred) ? `${scheme}${gap}${R}` : all;
      }
      // `Bearer realm="x"` is a challenge parameter, not a credential.
      const isParam = cred.endsWith("=") && whole[at + all.length] === '"';
      return isParam || SCHEME_PROSE.has(cred.toLowerCase()) ? all : `${scheme}${gap}${R}`;
    },
  );
  for (const shape of TOKEN_SHAPES) s = s.replace(shape, R);
  return s.replace(URL_PASSWORD, `$1${R}@`);
}

/** Redaction with the known values prepared once, for many lines or fields in a row. */
export interface Redactor {
  text(text: string): string;
  fields(value: unknown): unknown;
}

/** A {@linkcode Redactor} over a snapshot of `knownValues`. */
export function createRedactor(knownValues: Iterable<string>): Redactor {
  const known = prepareKnown(knownValues);
  return {
    text: (text) => redactPrepared(text, known),
    fields: (value) => walk(value, false, { known, ancestors: new Set() }, 0),
  };
}

/**
 * Masks every secret in free text: known values, secret-named keys, and token shapes. Text
 * without secrets comes back unchanged.
 */
export function redactText(text: string, knownValues: Iterable<string>): string {
  return createRedactor(knownValues).text(text);
}

interface WalkContext {
  known: readonly string[];
  ancestors: Set<object>;
}

function walk(value: unknown, secret: boolean, ctx: WalkContext, depth: number): unknown {
  switch (typeof value) {
    case "string":
      return secret ? R : redactPrepared(value, ctx.known);
    case "number":
    case "bigint":
      return secret ? R : typeof value === "bigint" ? String(value) : value;
    case "boolean":
      return value;
    case "function":
    case "symbol":
      return undefined;
    case "undefined":
      return undefined;
  }
  if (value === null) return null;
  if (value instanceof Secret) return R;
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) {
    // Bytes are usually key material; only their size is ever worth logging.
    return `[${value.byteLength} bytes]`;
  }
  if (value instanceof Error) {
    return secret ? R : redactPrepared(`${value.name}: ${value.message}`, ctx.known);
  }
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  const object = value as object;
  if (ctx.ancestors.has(object)) return "[circular]";
  if (depth >= MAX_DEPTH) return "[too deep]";
  ctx.ancestors.add(object);
  try {
    if (Array.isArray(object)) return object.map((v) => walk(v, secret, ctx, depth + 1));
    if (object instanceof Set) return [...object].map((v) => walk(v, secret, ctx, depth + 1));
    const toJSON = (object as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === "function") return walk(toJSON.call(object), secret, ctx, depth + 1);
    const entries = object instanceof Map
      ? [...object].map(([k, v]) => [String(k), v] as const)
      : Object.entries(object);
    const out: Record<string, unknown> = {};
    for (const [key, child] of entries) {
      const childSecret = isSecretKey(key) || (secret && !isDescriptorKey(normalizeKey(key)));
      const redacted = walk(child, childSecret, ctx, depth + 1);
      if (redacted !== undefined) out[redactPrepared(key, ctx.known)] = redacted;
    }
    return out;
  } finally {
    ctx.ancestors.delete(object);
  }
}

/**
 * A redacted deep copy of structured data (log fields, audit entries): secret-named keys lose
 * their values (recursively, except descriptor keys), every string goes through
 * {@linkcode redactText}, `Secret`s print `[redacted]`, bytes print their size, errors print
 * `Name: message`, and cycles print `[circular]`. The input is never modified.
 */
export function redactFields(value: unknown, knownValues: Iterable<string>): unknown {
  return createRedactor(knownValues).fields(value);
}
