/**
 * "Did you mean" suggestions for mistyped commands, flags and provider names.
 *
 * @module
 */

/**
 * Edit distance between two strings, counting an adjacent transposition as one edit
 * (optimal string alignment), because swapped letters (`lgoin`) are the most common typo.
 */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, () => new Array<number>(cols).fill(0));
  for (let i = 0; i < rows; i++) d[i][0] = i;
  for (let j = 0; j < cols; j++) d[0][j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[rows - 1][cols - 1];
}

/**
 * The candidate the user most likely meant, or `undefined` when none is close enough.
 *
 * Close means at most 2 edits (1 for inputs of 3 characters or fewer, where 2 edits would match
 * almost anything), or the input being a prefix of the candidate (`comp` → `completions`); a
 * prefix of exactly one candidate wins over edit distance. Ties go to the earlier candidate, so callers order candidates by importance.
 */
export function suggest(input: string, candidates: readonly string[]): string | undefined {
  const needle = input.toLowerCase();
  if (needle === "") return undefined;
  // A word that starts exactly one candidate is that candidate, even when another is fewer edits
  // away (`daemon stat` means status, not start).
  const starting = candidates.filter((c) => c.toLowerCase().startsWith(needle));
  if (starting.length === 1 && needle.replace(/^-+/, "").length >= 2) return starting[0];
  const threshold = needle.length <= 3 ? 1 : 2;
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const distance = editDistance(needle, candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  if (best !== undefined && bestDistance <= threshold) return best;
  // A prefix needs 2 characters: "-" alone or a single letter names nothing in particular.
  const significant = needle.replace(/^-+/, "");
  if (significant.length < 2) return undefined;
  return candidates.find((c) => c.toLowerCase().startsWith(needle));
}
