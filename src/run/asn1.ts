/**
 * A minimal ASN.1 DER encoder, and a reader just large enough to take a certificate apart again:
 * only what `x509.ts` needs. Pure: no I/O, no `Deno.*`.
 *
 * Every encoder returns the complete TLV (tag, length, value) as bytes, so values nest by
 * passing one encoder's result to another.
 *
 * @module
 */

/** Universal tag numbers used here. */
export const TAG = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  UTF8_STRING: 0x0c,
  PRINTABLE_STRING: 0x13,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;

/** Concatenates byte arrays. */
export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let length = 0;
  for (const part of parts) length += part.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

function encodeLength(length: number): Uint8Array {
  if (length < 0x80) return Uint8Array.of(length);
  const bytes: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n & 0xff);
  return Uint8Array.of(0x80 | bytes.length, ...bytes);
}

/** A TLV with a single-byte identifier (tag numbers below 31, which is all DER certs need). */
export function tlv(tag: number, value: Uint8Array): Uint8Array {
  return concatBytes(Uint8Array.of(tag), encodeLength(value.length), value);
}

/** SEQUENCE of already-encoded elements. */
export function sequence(...items: Uint8Array[]): Uint8Array {
  return tlv(TAG.SEQUENCE, concatBytes(...items));
}

/** SET OF already-encoded elements, sorted by their encodings as DER requires. */
export function set(...items: Uint8Array[]): Uint8Array {
  const sorted = [...items].sort(compareBytes);
  return tlv(TAG.SET, concatBytes(...sorted));
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a[i] !== b[i]) return a[i] - b[i];
  }
  return a.length - b.length;
}

/**
 * A non-negative INTEGER, from big-endian unsigned bytes or a safe integer. Leading zero bytes
 * are dropped and one is added back when the high bit is set, so the value stays positive.
 */
export function integer(value: Uint8Array | number): Uint8Array {
  let bytes: Uint8Array;
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new RangeError(`INTEGER must be a non-negative safe integer, got ${value}`);
    }
    const list: number[] = [];
    for (let n = value; n > 0; n = Math.floor(n / 256)) list.unshift(n % 256);
    bytes = Uint8Array.from(list);
  } else {
    bytes = value;
  }
  let start = 0;
  while (start < bytes.length && bytes[start] === 0) start++;
  const trimmed = bytes.subarray(start);
  if (trimmed.length === 0) return tlv(TAG.INTEGER, Uint8Array.of(0));
  if (trimmed[0] & 0x80) return tlv(TAG.INTEGER, concatBytes(Uint8Array.of(0), trimmed));
  return tlv(TAG.INTEGER, trimmed);
}

/** OBJECT IDENTIFIER from dotted form (`1.2.840.10045.2.1`). */
export function oid(dotted: string): Uint8Array {
  const arcs = dotted.split(".").map((arc) => {
    if (!/^\d+$/.test(arc)) throw new RangeError(`bad OID ${dotted}`);
    return BigInt(arc);
  });
  if (arcs.length < 2 || arcs[0] > 2n || (arcs[0] < 2n && arcs[1] > 39n)) {
    throw new RangeError(`bad OID ${dotted}`);
  }
  const out: number[] = [];
  const encodeArc = (arc: bigint) => {
    const chunk: number[] = [Number(arc & 0x7fn)];
    for (let n = arc >> 7n; n > 0n; n >>= 7n) chunk.unshift(Number(n & 0x7fn) | 0x80);
    out.push(...chunk);
  };
  encodeArc(arcs[0] * 40n + arcs[1]);
  for (const arc of arcs.slice(2)) encodeArc(arc);
  return tlv(TAG.OID, Uint8Array.from(out));
}

/** UTF8String. */
export function utf8String(text: string): Uint8Array {
  return tlv(TAG.UTF8_STRING, new TextEncoder().encode(text));
}

/** PrintableString; throws on characters outside its set. */
export function printableString(text: string): Uint8Array {
  if (!/^[A-Za-z0-9 '()+,\-./:=?]*$/.test(text)) {
    throw new RangeError(`not a PrintableString: ${JSON.stringify(text)}`);
  }
  return tlv(TAG.PRINTABLE_STRING, new TextEncoder().encode(text));
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, "0");
}

function timeDigits(date: Date): string {
  if (Number.isNaN(date.getTime())) throw new RangeError("invalid date");
  return pad(date.getUTCMonth() + 1, 2) + pad(date.getUTCDate(), 2) + pad(date.getUTCHours(), 2) +
    pad(date.getUTCMinutes(), 2) + pad(date.getUTCSeconds(), 2) + "Z";
}

/** UTCTime (`YYMMDDHHMMSSZ`, years 1950–2049); milliseconds are dropped. */
export function utcTime(date: Date): Uint8Array {
  const year = date.getUTCFullYear();
  if (year < 1950 || year > 2049) throw new RangeError(`UTCTime cannot hold year ${year}`);
  return tlv(TAG.UTC_TIME, new TextEncoder().encode(pad(year % 100, 2) + timeDigits(date)));
}

/** GeneralizedTime (`YYYYMMDDHHMMSSZ`); milliseconds are dropped. */
export function generalizedTime(date: Date): Uint8Array {
  const year = date.getUTCFullYear();
  if (year < 0 || year > 9999) throw new RangeError(`GeneralizedTime cannot hold year ${year}`);
  return tlv(TAG.GENERALIZED_TIME, new TextEncoder().encode(pad(year, 4) + timeDigits(date)));
}

/** The X.509 `Time` choice (RFC 5280 §4.1.2.5): UTCTime through 2049, GeneralizedTime after. */
export function x509Time(date: Date): Uint8Array {
  const year = date.getUTCFullYear();
  return year >= 1950 && year <= 2049 ? utcTime(date) : generalizedTime(date);
}

/** BIT STRING holding whole bytes (`unusedBits` of the last byte are padding). */
export function bitString(bytes: Uint8Array, unusedBits = 0): Uint8Array {
  if (unusedBits < 0 || unusedBits > 7 || (bytes.length === 0 && unusedBits !== 0)) {
    throw new RangeError(`bad unused bit count ${unusedBits}`);
  }
  return tlv(TAG.BIT_STRING, concatBytes(Uint8Array.of(unusedBits), bytes));
}

/**
 * A named-bit BIT STRING (as in `KeyUsage`) with the given bit numbers set, bit 0 being the
 * most significant bit of the first byte. DER drops trailing zero bits.
 */
export function namedBitString(bits: number[]): Uint8Array {
  if (bits.length === 0) return bitString(new Uint8Array(0));
  const highest = Math.max(...bits);
  const bytes = new Uint8Array(Math.floor(highest / 8) + 1);
  for (const bit of bits) bytes[bit >> 3] |= 0x80 >> (bit & 7);
  return bitString(bytes, 7 - (highest & 7));
}

/** OCTET STRING. */
export function octetString(bytes: Uint8Array): Uint8Array {
  return tlv(TAG.OCTET_STRING, bytes);
}

/** BOOLEAN (DER: `0xff` for true). */
export function boolean(value: boolean): Uint8Array {
  return tlv(TAG.BOOLEAN, Uint8Array.of(value ? 0xff : 0x00));
}

/** NULL. */
export function nullValue(): Uint8Array {
  return Uint8Array.of(TAG.NULL, 0x00);
}

/** `[n] EXPLICIT`: a constructed context-specific tag wrapping one or more encoded elements. */
export function explicit(tagNumber: number, ...inner: Uint8Array[]): Uint8Array {
  checkContextTag(tagNumber);
  return tlv(0xa0 | tagNumber, concatBytes(...inner));
}

/**
 * `[n] IMPLICIT`: a context-specific tag replacing the element's own. `content` is the value
 * bytes only (no tag or length); `constructed` must be true when the replaced type was
 * constructed (a SEQUENCE, say).
 */
export function implicit(tagNumber: number, content: Uint8Array, constructed = false): Uint8Array {
  checkContextTag(tagNumber);
  return tlv((constructed ? 0xa0 : 0x80) | tagNumber, content);
}

function checkContextTag(tagNumber: number): void {
  if (!Number.isInteger(tagNumber) || tagNumber < 0 || tagNumber > 30) {
    throw new RangeError(`context tag ${tagNumber} out of range`);
  }
}

// ---------------------------------------------------------------------------------------------
// Reading

/** One decoded element. `raw` is the whole TLV, `content` its value bytes. */
export interface DerElement {
  /** The identifier byte (e.g. `0x30` for SEQUENCE, `0xa3` for `[3]` constructed). */
  tag: number;
  constructed: boolean;
  content: Uint8Array;
  raw: Uint8Array;
}

/** Reads the element starting at `offset`; returns it and the offset after it. */
export function readElement(
  bytes: Uint8Array,
  offset = 0,
): { element: DerElement; next: number } {
  const fail = (why: string): never => {
    throw new RangeError(`malformed DER at byte ${offset}: ${why}`);
  };
  if (offset + 2 > bytes.length) fail("truncated header");
  const tag = bytes[offset];
  if ((tag & 0x1f) === 0x1f) fail("multi-byte tags are not supported");
  let position = offset + 1;
  let length = bytes[position++];
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0) fail("indefinite length");
    if (count > 4) fail("length too large");
    if (position + count > bytes.length) fail("truncated length");
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + bytes[position++];
  }
  const end = position + length;
  if (end > bytes.length) fail("truncated value");
  return {
    element: {
      tag,
      constructed: (tag & 0x20) !== 0,
      content: bytes.subarray(position, end),
      raw: bytes.subarray(offset, end),
    },
    next: end,
  };
}

/** Reads exactly one element spanning all of `bytes`. */
export function readSingle(bytes: Uint8Array): DerElement {
  const { element, next } = readElement(bytes, 0);
  if (next !== bytes.length) throw new RangeError("malformed DER: trailing bytes");
  return element;
}

/** The elements inside a constructed element. */
export function readChildren(element: DerElement): DerElement[] {
  if (!element.constructed) throw new RangeError("malformed DER: not a constructed element");
  const out: DerElement[] = [];
  let offset = 0;
  while (offset < element.content.length) {
    const { element: child, next } = readElement(element.content, offset);
    out.push(child);
    offset = next;
  }
  return out;
}

/** Decodes an OBJECT IDENTIFIER element to dotted form. */
export function readOid(element: DerElement): string {
  if (element.tag !== TAG.OID || element.content.length === 0) {
    throw new RangeError("malformed DER: expected OBJECT IDENTIFIER");
  }
  const arcs: bigint[] = [];
  let value = 0n;
  for (const byte of element.content) {
    value = (value << 7n) | BigInt(byte & 0x7f);
    if (!(byte & 0x80)) {
      arcs.push(value);
      value = 0n;
    }
  }
  const first = arcs[0] < 80n ? arcs[0] / 40n : 2n;
  return [first, arcs[0] - first * 40n, ...arcs.slice(1)].join(".");
}

/** Decodes a UTCTime or GeneralizedTime element (the `Z` forms DER requires). */
export function readTime(element: DerElement): Date {
  const text = new TextDecoder().decode(element.content);
  let match: RegExpMatchArray | null;
  let year: number;
  if (element.tag === TAG.UTC_TIME) {
    match = text.match(/^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/);
    if (!match) throw new RangeError(`malformed UTCTime ${text}`);
    const yy = Number(match[1]);
    year = yy >= 50 ? 1900 + yy : 2000 + yy;
  } else if (element.tag === TAG.GENERALIZED_TIME) {
    match = text.match(/^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/);
    if (!match) throw new RangeError(`malformed GeneralizedTime ${text}`);
    year = Number(match[1]);
  } else {
    throw new RangeError("malformed DER: expected a time");
  }
  const [, , month, day, hour, minute, second] = match.map(Number);
  return new Date(Date.UTC(year, month - 1, day, hour, minute, second));
}
