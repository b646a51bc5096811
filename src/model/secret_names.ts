/**
 * Which field, parameter and header names hold secrets. Shared by the debug log's redactor and
 * the audit log, so both mask the same names.
 *
 * @module
 */

const SECRET_KEY_PARTS = ("token secret password passwd passphrase api_key apikey authorization " +
  "cookie credential private_key master_key assertion").split(" ");
/** Too generic to match as substrings (`status_code`, `exit_code` are fine to show). */
const SECRET_KEYS_EXACT = new Set(
  "code code_verifier device_code auth_code pwd pass session session_id sessionid session_key"
    .split(" "),
);
/** A key ending in one of these words describes a secret rather than holding one. */
const DESCRIPTOR_WORDS = new Set(
  ("url urls uri endpoint type types method methods supported name names in at expires expiry " +
    "ttl lifetime length count present path file env header prefix source location kind format " +
    "field fingerprint status error mode").split(" "),
);

/** `clientSecret`, `Client-Secret` and `client_secret` all become `client_secret`. */
export function normalizeKey(key: string): string {
  return key.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toLowerCase().replace(/[^a-z0-9]+/g, "_")
    .replace(/^_+|_+$/g, "");
}

/** Whether the key names a property of a secret (`token_url`) rather than the secret. */
export function isDescriptorKey(normalized: string): boolean {
  const last = normalized.slice(normalized.lastIndexOf("_") + 1);
  return DESCRIPTOR_WORDS.has(last);
}

/** Whether a field, parameter or header with this name holds a secret value. */
export function isSecretKey(key: string): boolean {
  const n = normalizeKey(key);
  if (n.length === 0 || isDescriptorKey(n)) return false;
  return SECRET_KEYS_EXACT.has(n) || SECRET_KEY_PARTS.some((part) => n.includes(part));
}
