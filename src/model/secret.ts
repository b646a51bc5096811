/**
 * A secret value (token, API key, client secret, key material) that refuses to print itself.
 *
 * `String(secret)`, template literals, `JSON.stringify` and `Deno.inspect`/`console.log` all
 * give `[redacted]`; only `reveal()` returns the value. Every secret created in this process
 * joins a registry that the debug log's redactor consults, so a value that leaks into a log
 * message by another path is still masked at the sink.
 *
 * @module
 */

const REDACTED = "[redacted]";
/** Values shorter than this are not mask-registered: masking them would mangle ordinary text. */
const MIN_MASKED_LENGTH = 6;
const knownValues = new Set<string>();

/** A value that prints as `[redacted]` everywhere except through {@linkcode Secret.reveal}. */
export class Secret {
  readonly #value: string;

  /** Wraps a value and registers it for masking in the debug log. */
  constructor(value: string) {
    this.#value = value;
    if (value.length >= MIN_MASKED_LENGTH) knownValues.add(value);
  }

  /** The real value. Call only where the value must leave the process or be compared. */
  reveal(): string {
    return this.#value;
  }

  /** Whether the value is empty. */
  get isEmpty(): boolean {
    return this.#value.length === 0;
  }

  /** `[redacted]` */
  toString(): string {
    return REDACTED;
  }

  /** `[redacted]` */
  toJSON(): string {
    return REDACTED;
  }

  /** `[redacted]`, for `Deno.inspect` and `console.log`. */
  [Symbol.for("Deno.customInspect")](): string {
    return REDACTED;
  }

  /** `[redacted]`, for Node's `util.inspect`. */
  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return REDACTED;
  }
}

/** Wraps a possibly missing string. */
export function secretOrNull(value: string | null | undefined): Secret | null {
  return typeof value === "string" && value.length > 0 ? new Secret(value) : null;
}

/** Registers a value (for example one read from the environment) for masking in logs. */
export function registerSecretValue(value: string): void {
  if (value.length >= MIN_MASKED_LENGTH) knownValues.add(value);
}

/** Every secret value this process has loaded, for the log redactor. */
export function knownSecretValues(): ReadonlySet<string> {
  return knownValues;
}

/** The text printed in place of a secret. */
export const REDACTED_TEXT = REDACTED;
