/**
 * Fields a provider file names that authsome does not know, found when it is registered, so a
 * typo (`scope` for `scopes`) is an error with "did you mean" instead of a setting silently
 * ignored. Known means documented (below) or read by the validator (`fields.ts` records every
 * key it reads, so a field added to `schema.ts` is known without touching this file).
 *
 * Files already in `providers/` are not checked here: they keep loading as before.
 *
 * @module
 */
import { ProviderDefinitionError } from "../errors.ts";
import { isObject, type Json, readKeys } from "./fields.ts";
import { validateProvider } from "./schema.ts";
import { closestMatch } from "./suggest.ts";

/** The documented fields of each block (docs/contract.md §8, the predecessor's schema). */
const DOCUMENTED: Record<string, readonly string[]> = {
  "": [
    "$schema",
    "schema_version",
    "name",
    "display_name",
    "auth_type",
    "flow",
    "oauth",
    "api_key",
    "host_url",
    "export",
    "client",
    "docs",
    "metadata",
  ],
  oauth: [
    "authorization_url",
    "token_url",
    "revocation_url",
    "device_authorization_url",
    "registration_endpoint",
    "base_url",
    "scopes",
    "pkce",
    "supports_device_flow",
    "supports_dcr",
    "device_token_request",
    "header_prefix",
  ],
  api_key: [
    "header_name",
    "header_prefix",
    "basic_auth",
    "env_var",
    "key_pattern",
    "key_pattern_hint",
  ],
  client: ["client_id_env", "client_secret_env"],
  export: ["env"],
  "export.env": ["access_token", "refresh_token", "api_key"],
};

/** Blocks whose content is the user's own: never checked. */
const FREE_FORM = new Set(["metadata"]);

/**
 * Names the newer Python predecessor used: accepted (its files must keep registering) but not
 * read, so `register` warns with the name to use instead.
 */
const PREDECESSOR_NAMES: Record<string, string> = {
  docs_url: "docs",
  api_url: "host_url",
  registration: "oauth.registration_endpoint",
  "oauth.supports_device_code": "oauth.supports_device_flow",
};

/** One field authsome does not know. */
export interface UnknownField {
  /** `oauth.scope` */
  path: string;
  /** The field probably meant, as a path (`oauth.scopes`), or null. */
  suggestion: string | null;
  /** The known fields where it was found. */
  known: string[];
}

/** What a registered file names beyond what authsome reads. */
export interface FieldReport {
  unknown: UnknownField[];
  /** Predecessor names that are accepted but ignored: path and the name to use. */
  renamed: { path: string; use: string }[];
}

/** Checks `raw` after (or while) `validateProvider` read it. */
function checkFields(raw: Json): FieldReport {
  const report: FieldReport = { unknown: [], renamed: [] };
  walk(raw, "", report);
  return report;
}

function walk(obj: Json, prefix: string, report: FieldReport): void {
  const known = new Set([...(DOCUMENTED[prefix] ?? []), ...readKeys(obj)]);
  for (const [key, value] of Object.entries(obj)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (path in PREDECESSOR_NAMES) {
      report.renamed.push({ path, use: PREDECESSOR_NAMES[path] });
      continue;
    }
    if (!known.has(key)) {
      report.unknown.push({ path, suggestion: suggestFor(key, prefix, known), known: [...known] });
      continue;
    }
    if (isObject(value) && !FREE_FORM.has(path)) walk(value, path, report);
  }
}

function suggestFor(key: string, prefix: string, known: Set<string>): string | null {
  const near = closestMatch(key, known);
  if (near !== null) return prefix ? `${prefix}.${near}` : near;
  // A known field at the wrong level: `token_url` at the top belongs in `oauth`.
  for (const [block, names] of Object.entries(DOCUMENTED)) {
    if (block !== prefix && names.includes(key)) return block ? `${block}.${key}` : key;
  }
  return null;
}

/** `oauth.scope: unknown field; did you mean "oauth.scopes"?` */
function describeUnknown(field: UnknownField): string {
  return `${field.path}: unknown field` +
    (field.suggestion ? `; did you mean "${field.suggestion}"?` : "");
}

/**
 * Validates a definition given to `register`, unknown fields included. An unknown field is an
 * error; when the definition is also invalid otherwise (a misspelt required field usually is),
 * that error stands and the "did you mean" goes into its hint. Returns the predecessor names
 * found (accepted, not read).
 */
export function validateForRegister(raw: unknown, origin: string): FieldReport["renamed"] {
  let invalid: unknown = null;
  try {
    validateProvider(raw, origin);
  } catch (error) {
    invalid = error;
  }
  if (!isObject(raw)) throw invalid;
  const { unknown, renamed } = checkFields(raw);
  const explained = unknown.map(describeUnknown);
  if (invalid !== null) {
    if (!(invalid instanceof ProviderDefinitionError) || unknown.length === 0) throw invalid;
    throw new ProviderDefinitionError(invalid.message, {
      hint: `${explained.join("\n")}\nFix ${origin}, then: authsome register ${origin}`,
      cause: invalid,
    });
  }
  if (unknown.length > 0) {
    const unsuggested = unknown.find((field) => field.suggestion === null);
    const where = unsuggested?.path.includes(".")
      ? unsuggested.path.slice(0, unsuggested.path.lastIndexOf("."))
      : "the top level";
    throw new ProviderDefinitionError(`${origin}: ${explained.join("; ")}`, {
      hint: unsuggested
        ? `Known fields in ${where}: ${unsuggested.known.sort().join(", ")}`
        : `Fix ${origin}, then: authsome register ${origin}`,
    });
  }
  return renamed;
}
