/**
 * How many refusals of one grant reach the audit log. A refused request costs its sender almost
 * nothing (no upstream is contacted), and every audit entry pushes older history towards
 * rotation: a hostile holder of a grant could otherwise rotate away the record of what it did
 * before by making refused requests in a loop. So per grant at most {@linkcode MAX_PER_WINDOW}
 * refusals a minute are written; the first one written after a minute with more carries
 * `suppressed`, the number left out.
 *
 * @module
 */

/** Refusals written per grant and window. */
export const MAX_PER_WINDOW = 20;
/** The window. */
export const WINDOW_MS = 60_000;

interface Window {
  start: number;
  written: number;
  suppressed: number;
}

/** Decides which refusals are written. */
export class RefusalAudit {
  readonly #windows = new Map<string, Window>();

  /**
   * Whether the refusal of `grant` at `now` is written, and how many before it were left out
   * (to record with it); null when this one is left out.
   */
  admit(grant: string, now: number): { suppressed: number } | null {
    let window = this.#windows.get(grant);
    let carried = 0;
    if (!window || now - window.start >= WINDOW_MS) {
      carried = window?.suppressed ?? 0;
      window = { start: now, written: 0, suppressed: 0 };
      this.#windows.set(grant, window);
    }
    if (window.written >= MAX_PER_WINDOW) {
      window.suppressed++;
      return null;
    }
    window.written++;
    return { suppressed: carried };
  }
}
