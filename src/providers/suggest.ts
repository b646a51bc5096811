/**
 * "Did you mean" for mistyped provider names.
 *
 * @module
 */

/** Edit distance (insertions, deletions, substitutions), two rows of memory. */
export function levenshtein(a: string, b: string): number {
  if (a === b) return 0;
  if (a.length === 0) return b.length;
  if (b.length === 0) return a.length;
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  let current = new Array<number>(b.length + 1);
  for (let i = 1; i <= a.length; i++) {
    current[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost);
    }
    [previous, current] = [current, previous];
  }
  return previous[b.length];
}

/**
 * The candidate closest to `input`, if it is close enough to be a plausible typo: within a
 * third of the longer name's length (at least 1, at most 3 edits), or a prefix match such as
 * `micro` for `microsoft`. Ties go to the alphabetically first candidate.
 */
export function closestMatch(input: string, candidates: Iterable<string>): string | null {
  const needle = input.toLowerCase();
  if (needle === "") return null;
  let best: string | null = null;
  let bestScore = Infinity;
  for (const candidate of [...candidates].sort()) {
    const distance = levenshtein(needle, candidate.toLowerCase());
    const limit = Math.min(
      3,
      Math.max(1, Math.floor(Math.max(needle.length, candidate.length) / 3)),
    );
    const prefix = needle.length >= 3 && candidate.toLowerCase().startsWith(needle);
    if (distance > limit && !prefix) continue;
    const score = prefix ? Math.min(distance, limit) : distance;
    if (score < bestScore) {
      best = candidate;
      bestScore = score;
    }
  }
  return best;
}
