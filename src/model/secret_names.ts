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

function isAsciiUpper(code: number): boolean {
  return code >= 65 && code <= 90;
}

function isAsciiLowerOrDigit(code: number): boolean {
  return (code >= 97 && code <= 122) || (code >= 48 && code <= 57);
}

/**
 * `clientSecret`, `Client-Secret` and `client_secret` all become `client_secret`: a capital
 * after a lowercase letter or digit starts a word, everything but ASCII letters and digits
 * separates words, and words are joined with `_`. A character loop rather than regular
 * expressions, because the audit entry of every `get` passes through here and compiling four
 * patterns cost ~0.3 ms.
 */
export function normalizeKey(key: string): string {
  let out = "";
  let separate = false;
  let previous = -1;
  for (const char of key) {
    // Non-ASCII letters are lowercased first, as toLowerCase() would ("\u212A" Kelvin is "k").
    const lowered = char.charCodeAt(0) < 128 ? char : char.toLowerCase();
    for (let i = 0; i < lowered.length; i++) {
      const code = lowered.charCodeAt(i);
      if (isAsciiUpper(code)) {
        if (isAsciiLowerOrDigit(previous)) separate = true;
        if (separate && out.length > 0) out += "_";
        out += String.fromCharCode(code + 32);
        separate = false;
      } else if (isAsciiLowerOrDigit(code)) {
        if (separate && out.length > 0) out += "_";
        out += lowered[i];
        separate = false;
      } else {
        separate = true;
      }
      previous = char.charCodeAt(0) < 128 ? code : -1;
    }
  }
  return out;
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
