import assert from "node:assert/strict";
import {
  base64UrlEncode,
  constantTimeEqualStrings,
  createPkcePair,
  createState,
  pkceChallenge,
} from "../../src/oauth/pkce.ts";

Deno.test.sanitizer?.({ ops: true, resources: true });

/** RFC 7636 Appendix B. */
const RFC_OCTETS = [
  116,
  24,
  223,
  180,
  151,
  153,
  224,
  37,
  79,
  250,
  96,
  125,
  216,
  173,
  187,
  186,
  22,
  212,
  37,
  77,
  105,
  214,
  191,
  240,
  91,
  88,
  5,
  88,
  83,
  132,
  141,
  121,
];
const RFC_VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const RFC_CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

Deno.test("pkceChallenge matches the RFC 7636 appendix B vector", async () => {
  assert.equal(await pkceChallenge(RFC_VERIFIER), RFC_CHALLENGE);
});

Deno.test("createPkcePair turns the appendix B octets into its verifier and challenge", async () => {
  const pair = await createPkcePair(() => new Uint8Array(RFC_OCTETS));
  assert.equal(pair.verifier.reveal(), RFC_VERIFIER);
  assert.equal(pair.challenge, RFC_CHALLENGE);
  assert.equal(pair.method, "S256");
  assert.equal(String(pair.verifier), "[redacted]");
  assert.equal(JSON.stringify(pair).includes(RFC_VERIFIER), false);
});

Deno.test("createPkcePair asks for 32 bytes and gives a 43-character unreserved verifier", async () => {
  const lengths: number[] = [];
  const pair = await createPkcePair((n) => {
    lengths.push(n);
    return crypto.getRandomValues(new Uint8Array(n));
  });
  assert.deepEqual(lengths, [32]);
  assert.match(pair.verifier.reveal(), /^[A-Za-z0-9._~-]{43}$/);
  assert.equal(pair.challenge, await pkceChallenge(pair.verifier.reveal()));
  const other = await createPkcePair((n) => crypto.getRandomValues(new Uint8Array(n)));
  assert.notEqual(other.verifier.reveal(), pair.verifier.reveal());
});

Deno.test("createState is 256 bits of base64url", () => {
  const lengths: number[] = [];
  const state = createState((n) => {
    lengths.push(n);
    return new Uint8Array(n).fill(0xff);
  });
  assert.deepEqual(lengths, [32]);
  assert.equal(state, "_".repeat(42) + "8");
  assert.match(createState((n) => crypto.getRandomValues(new Uint8Array(n))), /^[\w-]{43}$/);
});

Deno.test("base64UrlEncode has no padding and uses - and _", () => {
  assert.equal(base64UrlEncode(new Uint8Array([0xfb, 0xff])), "-_8");
  assert.equal(base64UrlEncode(new Uint8Array([])), "");
});

Deno.test("constantTimeEqualStrings", () => {
  assert.equal(constantTimeEqualStrings("abc", "abc"), true);
  assert.equal(constantTimeEqualStrings("", ""), true);
  assert.equal(constantTimeEqualStrings("abc", "abd"), false);
  assert.equal(constantTimeEqualStrings("abc", "ab"), false);
  assert.equal(constantTimeEqualStrings("ab", "abc"), false);
  assert.equal(constantTimeEqualStrings("", "a"), false);
  assert.equal(constantTimeEqualStrings("é", "e\u0301"), false);
  assert.equal(constantTimeEqualStrings("\u0000", ""), false);
});
