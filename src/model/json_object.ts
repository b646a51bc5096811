/**
 * Parsing text that must hold one JSON object: a server's response body, an audit log line.
 *
 * @module
 */

/** A JSON object, or null (not JSON, or an array or scalar). */
export function parseJsonObject(text: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === "object" && value !== null && !Array.isArray(value)
      ? value as Record<string, unknown>
      : null;
  } catch {
    return null;
  }
}
