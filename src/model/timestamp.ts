/**
 * RFC 3339 UTC timestamps from epoch milliseconds, computed with integer arithmetic.
 *
 * Why not `new Date(ms).toISOString()`: the first `Date` object a process creates makes V8 load
 * the local time zone (reading `/etc/localtime`, ~0.4 ms, over 1 ms with `TZ` set), and the audit
 * entry of every `get` needs a timestamp. The output is identical to `toISOString()` for years
 * 0000-9999; outside that range, `Date` is used.
 *
 * @module
 */

const DAY_MS = 86_400_000;

function pad(value: number, width: number): string {
  return String(value).padStart(width, "0");
}

/** `YYYY-MM-DDTHH:MM:SS.mmmZ`, exactly as `Date.prototype.toISOString`. */
export function isoTimestamp(time: number): string {
  // Date keeps whole milliseconds, truncating toward zero (TimeClip).
  const ms = Math.trunc(time);
  const days = Math.floor(ms / DAY_MS);
  // Civil date from a day count (H. Hinnant, "chrono-compatible low-level date algorithms").
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const dayOfEra = z - era * 146_097;
  const yearOfEra = Math.floor(
    (dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36_524) -
      Math.floor(dayOfEra / 146_096)) / 365,
  );
  const dayOfYear = dayOfEra -
    (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const shiftedMonth = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * shiftedMonth + 2) / 5) + 1;
  const month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9;
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
  if (!Number.isFinite(ms) || year < 0 || year > 9999) return new Date(time).toISOString();
  let rest = ms - days * DAY_MS;
  const millis = rest % 1000;
  rest = (rest - millis) / 1000;
  const seconds = rest % 60;
  rest = (rest - seconds) / 60;
  const minutes = rest % 60;
  const hours = (rest - minutes) / 60;
  return `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}T${pad(hours, 2)}:${pad(minutes, 2)}:` +
    `${pad(seconds, 2)}.${pad(millis, 3)}Z`;
}

/** `YYYY-MM-DDTHH:MM:SSZ`: RFC 3339 UTC without milliseconds (the vault's record timestamps). */
export function rfc3339(ms: number): string {
  return isoTimestamp(ms).replace(/\.\d{3}Z$/, "Z");
}
