/**
 * The hash chain of the audit log. Every entry carries `seq` (its number, 1 for the first
 * chained entry) and `prev` (the SHA-256, hex, of the previous line as written, or 64 zeros for
 * the first entry of a fresh log). Editing an entry changes its hash, so the next entry no
 * longer points at it; deleting or reordering entries breaks `seq`. {@linkcode ChainVerifier}
 * walks the kept history oldest first and names the first entry that does not fit.
 *
 * What a chain cannot show on its own: entries cut from the very end (nothing follows them).
 * `authsome log --verify --json` prints the `head` hash so it can be noted elsewhere.
 *
 * @module
 */
import { parseJsonObject } from "../model/json_object.ts";

/** `prev` of the first entry of a log with no history at all. */
export const GENESIS_HASH = "0".repeat(64);

const encoder = new TextEncoder();

/** The SHA-256 (hex) of one line as written, without its newline. */
export async function lineHash(line: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", encoder.encode(line));
  return new Uint8Array(digest).toHex();
}

/** `seq` and `prev` of the entry that follows `lastLine` (null: the log is empty). */
export async function nextLink(lastLine: string | null): Promise<{ seq: number; prev: string }> {
  if (lastLine === null) return { seq: 1, prev: GENESIS_HASH };
  const last = parseJsonObject(lastLine);
  const seq = typeof last?.seq === "number" && Number.isSafeInteger(last.seq) && last.seq > 0
    ? last.seq + 1
    : 1;
  return { seq, prev: await lineHash(lastLine) };
}

/** One line of the kept history and where it is. */
export interface HistoryLine {
  /** File name (`audit.log`, `audit.log.1`, ...). */
  file: string;
  /** 1-based line number in that file. */
  line: number;
  text: string;
}

/** Where an entry is, for messages. */
export interface EntryPlace {
  file: string;
  line: number;
  seq: number | null;
  timestamp: string | null;
}

/** The kinds of breakage `--verify` names. */
export type ChainProblem = "edited" | "deleted" | "reordered" | "unreadable" | "unchained";

/** What {@linkcode ChainVerifier.finish} concludes. */
export interface ChainReport {
  intact: boolean;
  /** Entries read (legacy ones included). */
  entries: number;
  /** Entries before the chain existed (no `seq`/`prev`), not covered by it. */
  unchained: number;
  /** The first entry of the kept history. */
  historyBegins: EntryPlace | null;
  /** True when older entries were rotated away (the oldest kept entry points at one of them). */
  rotatedAway: boolean;
  /** The first chained entry. */
  chainStarts: EntryPlace | null;
  /** The hash of the newest entry: note it elsewhere to detect entries cut from the end. */
  head: string | null;
  broken: (EntryPlace & { problem: ChainProblem; message: string }) | null;
}

function describePlace(place: EntryPlace): string {
  const name = place.seq !== null ? `entry #${place.seq}` : "an entry";
  const when = place.timestamp ? `, ${place.timestamp}` : "";
  return `${name} (${place.file} line ${place.line}${when})`;
}

/** Checks lines fed oldest first; stops looking at the first break. */
export class ChainVerifier {
  #entries = 0;
  #unchained = 0;
  #historyBegins: EntryPlace | null = null;
  #rotatedAway = false;
  #chainStarts: EntryPlace | null = null;
  #previous: { place: EntryPlace; hash: string } | null = null;
  #broken: ChainReport["broken"] = null;

  /** Feeds the next line (oldest first). */
  async add(line: HistoryLine): Promise<void> {
    if (this.#broken) return;
    this.#entries++;
    const entry = parseJsonObject(line.text);
    const seq = typeof entry?.seq === "number" ? entry.seq : null;
    const timestamp = typeof entry?.timestamp === "string" ? entry.timestamp : null;
    const place: EntryPlace = { file: line.file, line: line.line, seq, timestamp };
    const hash = await lineHash(line.text);
    const previous = this.#previous;
    this.#previous = { place, hash };
    this.#historyBegins ??= place;
    if (entry === null) {
      this.#fail(place, "unreadable", `${describePlace(place)} is not a JSON object: edited`);
      return;
    }
    const prev = typeof entry.prev === "string" ? entry.prev : null;
    if (this.#chainStarts === null) {
      if (prev === null && seq === null) {
        // Written before the chain existed.
        this.#unchained++;
        return;
      }
      this.#chainStarts = place;
      if (previous === null) {
        // The oldest kept entry: either the first ever, or its predecessor was rotated away.
        this.#rotatedAway = prev !== GENESIS_HASH;
        return;
      }
      if (prev !== previous.hash) {
        this.#fail(
          place,
          "edited",
          `${describePlace(previous.place)}, the last entry before the chain, was edited: ` +
            `the first chained entry recorded a different hash for it`,
          previous.place,
        );
      }
      return;
    }
    if (prev === null || seq === null) {
      this.#fail(place, "unchained", `${describePlace(place)} has no seq/prev: inserted or edited`);
      return;
    }
    const before = previous!.place;
    const expected = before.seq === null ? null : before.seq + 1;
    if (expected !== null && seq > expected) {
      const missing = seq - 1 === expected ? `#${expected}` : `#${expected} to #${seq - 1}`;
      this.#fail(
        { ...place, seq: expected },
        "deleted",
        `entry ${missing} deleted: ${describePlace(place)} follows ${describePlace(before)}`,
      );
      return;
    }
    if (expected !== null && seq < expected) {
      this.#fail(
        place,
        "reordered",
        `${describePlace(place)} is out of order: it comes after ${describePlace(before)}`,
      );
      return;
    }
    if (prev !== previous!.hash) {
      this.#fail(
        place,
        "edited",
        `${describePlace(before)} was edited: entry #${seq}, next to it, recorded a ` +
          `different hash for it`,
        before,
      );
    }
  }

  #fail(
    place: EntryPlace,
    problem: ChainProblem,
    message: string,
    culprit: EntryPlace = place,
  ): void {
    this.#broken = { ...culprit, problem, message };
  }

  /** The conclusion. */
  finish(): ChainReport {
    return {
      intact: this.#broken === null,
      entries: this.#entries,
      unchained: this.#unchained,
      historyBegins: this.#historyBegins,
      rotatedAway: this.#rotatedAway,
      chainStarts: this.#chainStarts,
      head: this.#broken ? null : this.#previous?.hash ?? null,
      broken: this.#broken,
    };
  }
}
