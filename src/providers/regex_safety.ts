/**
 * Safety rules for the regular expressions a provider definition carries (`key_pattern` and
 * `regex:` host patterns). Definitions can come from any file on the machine, and JavaScript
 * regexes backtrack: `^(a+)+$` against `aaaaaaaaaaaaaaaaaaaaaaaaaaaa!` runs for minutes. So a
 * pattern is refused at registration when it has the shapes that backtrack exponentially:
 *
 * - a repeated group that itself contains an unbounded quantifier (`(a+)+`, `(\w*\s?)*`,
 *   `(.*x){10}`);
 * - a repeated group with alternatives that can overlap (`(a|aa)+`, `(\d|\w)*`); alternatives
 *   that are plain literals starting with different characters (`(ab|cd)+`) are fine;
 * - backreferences (`\1`, `\k<name>`), which no key or host pattern needs.
 *
 * Input is bounded too ({@linkcode MAX_MATCH_INPUT}), which keeps the remaining polynomial
 * shapes (`\d+\d+x`) fast.
 *
 * Host patterns must also be anchored (`^...$`) and end in a literal domain suffix
 * (`\.com$`), so a pattern cannot match an attacker's host that merely contains the name
 * (`.*googleapis.*` matches `googleapis.evil.test`).
 *
 * @module
 */

/** Longest value a definition's pattern is ever run against. */
export const MAX_MATCH_INPUT = 4096;

interface Frame {
  /** Some quantifier inside can repeat without bound. */
  unbounded: boolean;
  /** The alternatives so far, as literal text, or null once one is not a plain literal. */
  literals: string[] | null;
  current: string;
  currentLiteral: boolean;
  alternation: boolean;
  /** Unbounded atoms in a row (`\w*\w*`), each able to take what the previous gave back. */
  run: number;
  /** The longest such run inside this frame (a group's own `\w*\w*` extends the outer run). */
  maxRun: number;
  /** Where the frame's group starts in the source (its `(`). */
  start: number;
  /** Source of the last unbounded atom of the current run, without its quantifier. */
  lastUnbounded: string | null;
}

/**
 * Unbounded atoms in a row that make matching polynomial of this degree: `\w*\w*\w*x` on a
 * 4,096-character key tries billions of splits (200 characters took 9 s).
 */
const MAX_UNBOUNDED_RUN = 3;

function newFrame(start = 0): Frame {
  return {
    unbounded: false,
    literals: [],
    current: "",
    currentLiteral: true,
    alternation: false,
    run: 0,
    maxRun: 0,
    start,
    lastUnbounded: null,
  };
}

const PRINTABLE_ASCII = Array.from({ length: 95 }, (_, n) => String.fromCharCode(32 + n));

/**
 * Whether the mandatory single-character atom `atom` (a literal or a class) can match a
 * character that the unbounded atom `unbounded` also matches: then it does not separate two
 * unbounded atoms (`\w*a\w*` still gives back and retakes the same text). Checked on printable
 * ASCII, plus the atom itself when it is one other character; a pattern that does not compile
 * alone counts as overlapping.
 */
function overlaps(unbounded: string, atom: string, literal: string | null): boolean {
  try {
    const wide = new RegExp(`^(?:${unbounded})$`, "i");
    const narrow = new RegExp(`^(?:${atom})$`, "i");
    const samples = literal !== null ? [literal] : PRINTABLE_ASCII;
    return samples.some((char) => narrow.test(char) && wide.test(char));
  } catch {
    return true;
  }
}

function endAlternative(frame: Frame): void {
  if (frame.literals === null) return;
  if (!frame.currentLiteral || frame.current === "") frame.literals = null;
  else frame.literals.push(frame.current);
  frame.current = "";
  frame.currentLiteral = true;
}

/** Whether alternatives under a quantifier are unambiguous (literals, distinct first chars). */
function alternativesDistinct(frame: Frame): boolean {
  if (!frame.alternation) return true;
  if (frame.literals === null) return false;
  const firsts = frame.literals.map((literal) => literal[0].toLowerCase());
  return new Set(firsts).size === firsts.length;
}

/** Reads a quantifier at `i`: its length and bounds, or null when there is none. */
function quantifierAt(source: string, i: number): { length: number; max: number } | null {
  const char = source[i];
  let length: number;
  let max: number;
  if (char === "*" || char === "+") {
    length = 1;
    max = Infinity;
  } else if (char === "?") {
    length = 1;
    max = 1;
  } else if (char === "{") {
    const match = source.slice(i).match(/^\{(\d+)(,(\d*))?\}/);
    if (!match) return null;
    length = match[0].length;
    max = match[2] === undefined ? Number(match[1]) : match[3] === "" ? Infinity : Number(match[3]);
  } else {
    return null;
  }
  if (source[i + length] === "?") length++;
  return { length, max };
}

/** Why `source` may backtrack catastrophically, or null when none of the known shapes occur. */
export function backtrackingProblem(source: string): string | null {
  const stack: Frame[] = [newFrame()];
  const top = () => stack[stack.length - 1];
  let i = 0;
  while (i < source.length) {
    const char = source[i];
    const atomStart = i;
    // The atom just read: a single character/class, or a closed group (its frame).
    let closed: Frame | null = null;
    let literal: string | null = null;
    if (char === "\\") {
      const next = source[i + 1] ?? "";
      if (/[1-9]/.test(next) || next === "k") return "backreferences are not allowed";
      // `\.` is a literal dot; `\d`, `\w`, `\u0041`, ... are classes or codes, not plain text.
      literal = /[dDwWsSbBpPuxcfnrtv0]/.test(next) ? null : next;
      i += 2;
      if (next === "u" || next === "x" || next === "p" || next === "P") {
        const rest = source.slice(i).match(/^(\{[^}]*\}|[0-9a-fA-F]{2,4})/);
        if (rest) i += rest[0].length;
      }
    } else if (char === "[") {
      let j = i + 1;
      if (source[j] === "^") j++;
      if (source[j] === "]") j++;
      while (j < source.length && source[j] !== "]") j += source[j] === "\\" ? 2 : 1;
      i = j + 1;
    } else if (char === "(") {
      const prefix = source.slice(i).match(/^\((\?(:|=|!|<=|<!|<[A-Za-z_$][\w$]*>))?/)![0];
      stack.push(newFrame(i));
      i += prefix.length;
      continue;
    } else if (char === ")") {
      if (stack.length === 1) return null; // Unbalanced: `new RegExp` reports it.
      closed = stack.pop()!;
      endAlternative(closed);
      i++;
    } else if (char === "|") {
      top().alternation = true;
      top().run = 0;
      top().lastUnbounded = null;
      endAlternative(top());
      i++;
      continue;
    } else if (char === "^" || char === "$") {
      i++;
      continue;
    } else {
      literal = char === "." ? null : char;
      i++;
    }
    const quantifier = quantifierAt(source, i);
    const frame = top();
    if (quantifier) {
      i += quantifier.length;
      if (closed && quantifier.max > 1) {
        if (closed.unbounded) {
          return "a repeated group contains another unbounded quantifier (like (a+)+), " +
            "which can make matching take exponential time";
        }
        if (!alternativesDistinct(closed)) {
          return "a repeated group has alternatives that can match the same text " +
            "(like (a|aa)+), which can make matching take exponential time";
        }
      }
      if (quantifier.max === Infinity || closed?.unbounded) frame.unbounded = true;
      frame.currentLiteral = false;
    } else if (closed?.unbounded) {
      frame.unbounded = true;
    }
    // An optional or bounded atom does not separate two unbounded ones; a mandatory one does
    // only when it cannot match what the unbounded one before it takes (`\w*a\w*` does not).
    const unboundedAtom = quantifier?.max === Infinity || closed?.unbounded === true;
    const atomSource = source.slice(
      closed ? closed.start : atomStart,
      i - (quantifier?.length ?? 0),
    );
    if (unboundedAtom) {
      // A group's own run (`(\w*\w*)`) continues the outer one.
      frame.run += Math.max(1, closed?.maxRun ?? 1);
      frame.lastUnbounded = atomSource;
    } else if (!quantifier) {
      const separates = closed !== null || frame.lastUnbounded === null ||
        !overlaps(frame.lastUnbounded, atomSource, literal);
      if (separates) {
        frame.run = 0;
        frame.lastUnbounded = null;
      }
    }
    frame.maxRun = Math.max(frame.maxRun, frame.run);
    if (frame.run >= MAX_UNBOUNDED_RUN) {
      return `${MAX_UNBOUNDED_RUN} unbounded quantifiers in a row (like \\w*\\w*\\w*) can make ` +
        "matching take polynomial time on a long value; bound them ({1,64}) or put a literal between them";
    }
    if (!quantifier) {
      if (closed || literal === null) frame.currentLiteral = false;
      else frame.current += literal;
    }
  }
  return null;
}

/** A host regex as `register` would like to see it: `^(?:<pattern>)$`. */
export function anchoredForm(pattern: string): string {
  const body = pattern.replace(/^\^/, "").replace(/(?<!\\)\$$/, "");
  return `^(?:${body})$`;
}

/** Splits at the `|` that are not inside a group or a character class. */
function topLevelAlternatives(body: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let inClass = false;
  let start = 0;
  for (let i = 0; i < body.length; i++) {
    const char = body[i];
    if (char === "\\") i++;
    else if (inClass) inClass = char !== "]";
    else if (char === "[") inClass = true;
    else if (char === "(") depth++;
    else if (char === ")") depth--;
    else if (char === "|" && depth === 0) {
      parts.push(body.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(body.slice(start));
  return parts;
}

/** The body of `^...$`, without one `(?:...)` group that spans all of it. */
function anchoredBody(pattern: string): string {
  const body = pattern.slice(1, -1);
  const group = body.match(/^\(\?:(.*)\)$/s);
  if (group && balanced(group[1])) {
    return group[1];
  }
  return body;
}

function balanced(text: string): boolean {
  let depth = 0;
  for (let i = 0; i < text.length && depth >= 0; i++) {
    if (text[i] === "\\") i++;
    else if (text[i] === "(") depth++;
    else if (text[i] === ")") depth--;
  }
  return depth === 0;
}

/**
 * Why a `regex:` host pattern is unsafe to route credentials by, or null. It must be anchored
 * at both ends, every alternative must end in a literal domain suffix (`\.com`), and it must
 * pass {@linkcode backtrackingProblem}. With `impliedAnchors`, a pattern without `^...$` is
 * judged as the full match routing makes of it (for definitions written before anchors were
 * required).
 */
export function hostPatternProblem(pattern: string, impliedAnchors = false): string | null {
  const anchored = /^\^.*(?<!\\)\$$/s.test(pattern);
  if (!anchored && !impliedAnchors) {
    return "a regex host pattern must be anchored with ^ and $ so it cannot match other hosts";
  }
  const body = anchored ? anchoredBody(pattern) : pattern;
  if (!topLevelAlternatives(body).every((part) => /\\\.[A-Za-z0-9-]+$/.test(part))) {
    return "a regex host pattern must end in a literal domain suffix such as \\.com$ " +
      "so it cannot match a host that merely contains the name";
  }
  return backtrackingProblem(pattern);
}

/** Full match of `value` against a definition's pattern, refusing over-long input. */
export function fullMatch(pattern: string, value: string, flags = ""): boolean {
  if (value.length > MAX_MATCH_INPUT) return false;
  return new RegExp(`^(?:${pattern})$`, flags).test(value);
}
