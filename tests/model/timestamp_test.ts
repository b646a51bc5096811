import assert from "node:assert/strict";
import { isoTimestamp, rfc3339 } from "../../src/model/timestamp.ts";

Deno.test.sanitizer?.({ ops: true, resources: true });

Deno.test("isoTimestamp matches Date.toISOString on calendar edges", () => {
  const edges = [
    0,
    1,
    999,
    86_399_999,
    Date.UTC(1972, 1, 29, 12, 0, 0, 5), // leap day
    Date.UTC(2000, 1, 29, 23, 59, 59, 999), // divisible by 400: leap
    Date.UTC(2100, 2, 1), // divisible by 100, not 400: no Feb 29
    Date.UTC(2026, 11, 31, 23, 59, 59, 999),
    Date.UTC(2027, 0, 1),
    Date.UTC(9999, 11, 31, 23, 59, 59, 999),
    Date.UTC(1969, 11, 31, 23, 59, 59, 999), // before the epoch
    Date.UTC(1600, 1, 29), // a leap day four centuries back
  ];
  for (const ms of edges) assert.equal(isoTimestamp(ms), new Date(ms).toISOString(), `${ms}`);
});

Deno.test("isoTimestamp matches Date.toISOString across 20,000 random instants", () => {
  let seed = 42;
  const next = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
  const span = Date.UTC(9999, 11, 31) - Date.UTC(0, 0, 1);
  for (let i = 0; i < 20_000; i++) {
    const ms = Math.floor(Date.UTC(0, 0, 1) + next() * span);
    assert.equal(isoTimestamp(ms), new Date(ms).toISOString(), `${ms}`);
  }
});

Deno.test("isoTimestamp falls back to Date outside years 0000-9999 and for invalid input", () => {
  const far = Date.UTC(10_000, 0, 1);
  assert.equal(isoTimestamp(far), "+010000-01-01T00:00:00.000Z");
  assert.throws(() => isoTimestamp(Number.NaN), RangeError);
});

Deno.test("isoTimestamp truncates fractional milliseconds as Date does", () => {
  for (const ms of [1.5, 1_700_000_000_000.999, -1.5, 86_399_999.9]) {
    assert.equal(isoTimestamp(ms), new Date(ms).toISOString(), `${ms}`);
  }
});

Deno.test("rfc3339 drops the milliseconds", () => {
  assert.equal(rfc3339(Date.UTC(2026, 10, 26, 1, 2, 3, 456)), "2026-11-26T01:02:03Z");
});
