/**
 * Typed, path-aware access to the fields of a JSON provider definition. Every failure becomes a
 * {@linkcode ProviderDefinitionError} reading `<origin>: <field path>: <problem>`, so a user can
 * find the offending line in their file.
 *
 * @module
 */
import { ProviderDefinitionError } from "../errors.ts";
import { LOOPBACK_HOSTS } from "../model/provider.ts";

export type Json = Record<string, unknown>;

const ENV_VAR_PATTERN = /^[A-Z_][A-Z0-9_]*$/;
const TEMPLATE = "{base_url}";
/** Stands in for an unset base_url, so a templated URL can still be checked for shape. */
const PLACEHOLDER_BASE = "https://example.invalid";
const HTTPS_RULE = "must be an https URL (http is allowed only for 127.0.0.1, localhost and [::1])";

export function hasControlChars(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}

export function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function typeName(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "object" ? "an object" : `a ${typeof value}`;
}

export function regexError(pattern: string): string | null {
  try {
    new RegExp(pattern);
    return null;
  } catch (error) {
    return `invalid regular expression: ${error instanceof Error ? error.message : error}`;
  }
}

/** The keys the validator looked at, per JSON object: what `unknown_fields.ts` counts as known. */
const READ_KEYS = new WeakMap<Json, Set<string>>();

/** The keys of `obj` that a {@linkcode Fields} accessor read (empty when none did). */
export function readKeys(obj: Json): ReadonlySet<string> {
  return READ_KEYS.get(obj) ?? new Set();
}

/** Reads the fields of one JSON object, failing with `<origin>: <path>: <problem>`. */
export class Fields {
  constructor(readonly origin: string, readonly obj: Json, readonly prefix = "") {}

  #read(key: string): void {
    let keys = READ_KEYS.get(this.obj);
    if (!keys) READ_KEYS.set(this.obj, keys = new Set());
    keys.add(key);
  }

  path(key: string): string {
    return this.prefix ? `${this.prefix}.${key}` : key;
  }

  fail(key: string, problem: string): never {
    throw new ProviderDefinitionError(`${this.origin}: ${this.path(key)}: ${problem}`);
  }

  /** Absent and null both mean "not given". */
  present(key: string): boolean {
    this.#read(key);
    return this.obj[key] !== undefined && this.obj[key] !== null;
  }

  string(key: string, required: true): string;
  string(key: string, required?: boolean): string | null;
  string(key: string, required = false): string | null {
    this.#read(key);
    const value = this.obj[key];
    if (value === undefined || value === null) {
      if (required) this.fail(key, "is required");
      return null;
    }
    if (typeof value !== "string") this.fail(key, `must be a string, got ${typeName(value)}`);
    if (required && value.trim() === "") this.fail(key, "must not be empty");
    return value;
  }

  boolean(key: string, fallback: boolean): boolean {
    this.#read(key);
    const value = this.obj[key];
    if (value === undefined || value === null) return fallback;
    if (typeof value !== "boolean") this.fail(key, `must be true or false, got ${typeName(value)}`);
    return value;
  }

  oneOf<T extends string>(key: string, allowed: readonly T[], fallback?: T): T {
    const value = this.string(key, fallback === undefined);
    if (value === null) return fallback as T;
    if (!(allowed as readonly string[]).includes(value)) {
      this.fail(key, `must be one of ${allowed.map((a) => `"${a}"`).join(", ")}, got "${value}"`);
    }
    return value as T;
  }

  object(key: string): Fields | null {
    this.#read(key);
    const value = this.obj[key];
    if (value === undefined || value === null) return null;
    if (!isObject(value)) this.fail(key, `must be an object, got ${typeName(value)}`);
    return new Fields(this.origin, value, this.path(key));
  }

  envVar(key: string): string | null {
    const value = this.string(key);
    if (value !== null && !ENV_VAR_PATTERN.test(value)) {
      this.fail(key, `"${value}" is not a valid environment variable name (use A-Z, 0-9 and _)`);
    }
    return value;
  }

  /** An absolute URL; `{base_url}` is checked by substituting `baseUrl` (or a placeholder). */
  url(key: string, required: boolean, baseUrl: string | null = null): string | null {
    const value = this.string(key, required);
    if (value === null) return null;
    for (const match of value.matchAll(/\{[^}]*\}/g)) {
      if (match[0] !== TEMPLATE) {
        this.fail(key, `unknown placeholder "${match[0]}": only ${TEMPLATE} is supported`);
      }
    }
    const base = (baseUrl ?? PLACEHOLDER_BASE).replace(/\/+$/, "");
    this.checkUrl(key, value.replaceAll(TEMPLATE, base), value);
    return value;
  }

  /** A URL that may not itself use a template (base_url, docs, host_url). */
  plainUrl(key: string): string | null {
    const value = this.string(key);
    if (value === null) return null;
    if (value.includes("{")) this.fail(key, "must not contain placeholders");
    this.checkUrl(key, value, value);
    return value;
  }

  checkUrl(key: string, url: string, shown: string): void {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      this.fail(key, `"${shown}" is not a valid absolute URL`);
    }
    const loopbackHttp = parsed.protocol === "http:" && LOOPBACK_HOSTS.has(parsed.hostname);
    if (parsed.protocol !== "https:" && !loopbackHttp) this.fail(key, HTTPS_RULE);
    if (parsed.username || parsed.password) this.fail(key, "must not contain credentials");
  }
}
