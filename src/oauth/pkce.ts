/**
 * PKCE (RFC 7636) and `state`: a fresh S256 verifier and a 256-bit state per login attempt,
 * and a constant-time comparison for the state the browser brings back.
 *
 * @module
 */
import { Secret } from "../model/secret.ts";

/** A PKCE verifier (secret until the token request) and its S256 challenge. */
export interface PkcePair {
  verifier: Secret;
  challenge: string;
  method: "S256";
}

/** Unpadded base64url (RFC 4648 §5) of bytes. */
export function base64UrlEncode(bytes: Uint8Array): string {
  return bytes.toBase64({ alphabet: "base64url", omitPadding: true });
}

/** `base64url(SHA-256(ascii(verifier)))` (RFC 7636 §4.2). */
export async function pkceChallenge(verifier: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
  return base64UrlEncode(new Uint8Array(digest));
}

/** A new verifier from 32 random octets (43 characters, RFC 7636 §4.1) and its challenge. */
export async function createPkcePair(
  randomBytes: (length: number) => Uint8Array,
): Promise<PkcePair> {
  const verifier = base64UrlEncode(randomBytes(32));
  return {
    verifier: new Secret(verifier),
    challenge: await pkceChallenge(verifier),
    method: "S256",
  };
}

/** A new 256-bit `state` value, base64url (43 characters). */
export function createState(randomBytes: (length: number) => Uint8Array): string {
  return base64UrlEncode(randomBytes(32));
}

/**
 * Compares two strings in time that depends only on their lengths, not on where they differ.
 * Strings of different lengths are unequal (the length of a state is not a secret).
 */
export function constantTimeEqualStrings(a: string, b: string): boolean {
  const x = new TextEncoder().encode(a);
  const y = new TextEncoder().encode(b);
  const length = Math.max(x.length, y.length);
  let diff = x.length ^ y.length;
  for (let i = 0; i < length; i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return diff === 0;
}
