/**
 * The unlock proof of key mode `daemon`, sent as a one-time answer to a challenge instead of
 * as a fixed value. The passphrase yields a 32-byte proof key (`unlockProof` in
 * `src/vault/key_source.ts`) that the daemon and the CLI both know and that never travels:
 *
 * 1. the CLI asks `POST /v1/unlock-challenge` (daemon bearer token) for a nonce;
 * 2. it sends `X-Authsome-Unlock-Proof: v2 <nonce> <base64 HMAC-SHA256(proof key,
 *    "authsome-unlock-v2\n<nonce>\n<METHOD> <path>\n<body>")>` with the one request;
 * 3. the daemon checks the HMAC and forgets the nonce.
 *
 * A fixed proof sent with every request could be captured once by whatever answers on the
 * daemon's port (a same-user agent that stops the daemon, or points `daemon/port` at its own
 * listener) and replayed to the real daemon later to read the whole vault. An answer is good
 * for one request, with that method, path and body, within a minute.
 *
 * @module
 */
import type { Platform } from "../platform/types.ts";
import { hmacSha256 } from "../vault/crypto.ts";
import { sameBytes } from "./request.ts";

/** The header carrying the answer. */
export const UNLOCK_HEADER = "X-Authsome-Unlock-Proof";
/** Where a nonce is asked for. */
export const CHALLENGE_PATH = "/v1/unlock-challenge";

const LABEL = "authsome-unlock-v2";
const NONCE_TTL_MS = 60_000;
const MAX_OUTSTANDING = 32;

/** What one answer is bound to. */
export interface UnlockedRequest {
  method: string;
  /** Path and query, as sent. */
  path: string;
  /** The exact body text ("" for none). */
  body: string;
}

async function mac(proofKey: Uint8Array, nonce: string, request: UnlockedRequest) {
  const text = `${LABEL}\n${nonce}\n${request.method} ${request.path}\n${request.body}`;
  return await hmacSha256(proofKey, new TextEncoder().encode(text));
}

/** The header value answering `nonce` for `request`. */
export async function answerChallenge(
  proofKey: Uint8Array,
  nonce: string,
  request: UnlockedRequest,
): Promise<string> {
  return `v2 ${nonce} ${(await mac(proofKey, nonce, request)).toBase64()}`;
}

/** The daemon's outstanding nonces. */
export class UnlockChallenges {
  readonly #platform: Platform;
  readonly #proofKey: Uint8Array;
  /** nonce -> when it stops being accepted. */
  readonly #nonces = new Map<string, number>();

  constructor(platform: Platform, proofKey: Uint8Array) {
    this.#platform = platform;
    this.#proofKey = proofKey;
  }

  /** A fresh nonce (the oldest outstanding one is dropped past a small limit). */
  issue(): string {
    const now = this.#platform.clock.now();
    for (const [nonce, until] of this.#nonces) if (until <= now) this.#nonces.delete(nonce);
    while (this.#nonces.size >= MAX_OUTSTANDING) {
      this.#nonces.delete(this.#nonces.keys().next().value!);
    }
    const nonce = this.#platform.randomBytes(24).toBase64({
      alphabet: "base64url",
      omitPadding: true,
    });
    this.#nonces.set(nonce, now + NONCE_TTL_MS);
    return nonce;
  }

  /** Whether `header` answers an outstanding nonce for `request`; the nonce is used up. */
  async verify(header: string | null, request: UnlockedRequest): Promise<boolean> {
    const match = /^v2 ([A-Za-z0-9_-]{16,64}) ([A-Za-z0-9+/=]{20,100})$/.exec(header ?? "");
    if (!match) return false;
    const until = this.#nonces.get(match[1]);
    if (until === undefined) return false;
    this.#nonces.delete(match[1]);
    if (until <= this.#platform.clock.now()) return false;
    const expected = (await mac(this.#proofKey, match[1], request)).toBase64();
    const encoder = new TextEncoder();
    return sameBytes(encoder.encode(match[2]), encoder.encode(expected));
  }
}
