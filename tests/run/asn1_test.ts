import assert from "node:assert/strict";
import {
  bitString,
  boolean,
  explicit,
  generalizedTime,
  implicit,
  integer,
  namedBitString,
  nullValue,
  octetString,
  oid,
  printableString,
  readChildren,
  readElement,
  readOid,
  readSingle,
  readTime,
  sequence,
  set,
  utcTime,
  utf8String,
  x509Time,
} from "../../src/run/asn1.ts";

Deno.test.sanitizer?.({ ops: true, resources: true });

const hex = (bytes: Uint8Array) => [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");

Deno.test("INTEGER is minimal and positive", () => {
  assert.equal(hex(integer(0)), "020100");
  assert.equal(hex(integer(2)), "020102");
  assert.equal(hex(integer(127)), "02017f");
  assert.equal(hex(integer(128)), "02020080");
  assert.equal(hex(integer(256)), "02020100");
  assert.equal(hex(integer(Uint8Array.of(0, 0, 0x01))), "020101");
  assert.equal(hex(integer(Uint8Array.of(0xff, 0x01))), "020300ff01");
  assert.equal(hex(integer(new Uint8Array(3))), "020100");
  assert.throws(() => integer(-1), RangeError);
  assert.throws(() => integer(1.5), RangeError);
});

Deno.test("OBJECT IDENTIFIER encodes and decodes", () => {
  assert.equal(hex(oid("1.2.840.10045.2.1")), "06072a8648ce3d0201");
  assert.equal(hex(oid("2.5.29.19")), "0603551d13");
  assert.equal(hex(oid("1.3.6.1.5.5.7.3.1")), "06082b06010505070301");
  for (const dotted of ["1.2.840.10045.4.3.2", "2.5.4.3", "2.999.1", "0.9.2342.19200300.100.1.1"]) {
    assert.equal(readOid(readSingle(oid(dotted))), dotted);
  }
  assert.throws(() => oid("1"), RangeError);
  assert.throws(() => oid("1.40"), RangeError);
  assert.throws(() => oid("3.1"), RangeError);
  assert.throws(() => oid("1.x"), RangeError);
});

Deno.test("lengths use the long form from 128 bytes", () => {
  assert.equal(hex(octetString(new Uint8Array(127))).slice(0, 4), "047f");
  assert.equal(hex(octetString(new Uint8Array(128))).slice(0, 6), "048180");
  assert.equal(hex(octetString(new Uint8Array(300))).slice(0, 8), "0482012c");
  const big = octetString(new Uint8Array(70_000));
  const { element, next } = readElement(big);
  assert.equal(element.content.length, 70_000);
  assert.equal(next, big.length);
});

Deno.test("strings, BOOLEAN, NULL, BIT STRING", () => {
  assert.equal(hex(utf8String("é")), "0c02c3a9");
  assert.equal(hex(printableString("AB c")), "130441422063");
  assert.throws(() => printableString("a@b"), RangeError);
  assert.equal(hex(boolean(true)), "0101ff");
  assert.equal(hex(boolean(false)), "010100");
  assert.equal(hex(nullValue()), "0500");
  assert.equal(hex(bitString(Uint8Array.of(0xab))), "030200ab");
  // KeyUsage: keyCertSign(5) + cRLSign(6) = 0x06 with one unused bit; digitalSignature(0) = 0x80/7.
  assert.equal(hex(namedBitString([5, 6])), "03020106");
  assert.equal(hex(namedBitString([0])), "03020780");
  assert.equal(hex(namedBitString([0, 8])), "0303078080");
  assert.equal(hex(namedBitString([])), "030100");
});

Deno.test("times: UTCTime until 2049, GeneralizedTime after, seconds precision", () => {
  const date = new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 678));
  assert.equal(new TextDecoder().decode(readSingle(utcTime(date)).content), "260102030405Z");
  assert.equal(
    new TextDecoder().decode(readSingle(generalizedTime(date)).content),
    "20260102030405Z",
  );
  assert.equal(x509Time(date)[0], 0x17);
  assert.equal(x509Time(new Date(Date.UTC(2050, 0, 1)))[0], 0x18);
  assert.equal(readTime(readSingle(x509Time(date))).getTime(), Date.UTC(2026, 0, 2, 3, 4, 5));
  const late = new Date(Date.UTC(2051, 5, 6, 7, 8, 9));
  assert.equal(readTime(readSingle(x509Time(late))).getTime(), late.getTime());
  assert.equal(
    readTime(readSingle(utcTime(new Date(Date.UTC(1999, 0, 1))))).getUTCFullYear(),
    1999,
  );
  assert.throws(() => utcTime(new Date(Date.UTC(2050, 0, 1))), RangeError);
});

Deno.test("SEQUENCE, sorted SET, explicit and implicit tags, and reading them back", () => {
  assert.equal(hex(sequence()), "3000");
  assert.equal(hex(set(integer(2), integer(1))), "3106020101020102");
  assert.equal(hex(explicit(0, integer(2))), "a003020102");
  assert.equal(hex(implicit(2, new TextEncoder().encode("a.b"))), "8203612e62");
  assert.equal(hex(implicit(1, Uint8Array.of(1), true)), "a10101");
  const nested = sequence(integer(1), sequence(boolean(true)), explicit(3, nullValue()));
  const children = readChildren(readSingle(nested));
  assert.deepEqual(children.map((c) => c.tag), [0x02, 0x30, 0xa3]);
  assert.equal(readChildren(children[2])[0].tag, 0x05);
  assert.throws(() => readSingle(Uint8Array.of(0x30, 0x05, 0x01)), RangeError);
  assert.throws(() => readSingle(Uint8Array.of(0x30, 0x80, 0x00, 0x00)), RangeError);
  assert.throws(() => readSingle(Uint8Array.of(0x05, 0x00, 0x00)), RangeError);
});
