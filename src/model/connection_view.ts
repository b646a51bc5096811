/**
 * How a connection is shown: field values for `get`, rows for `list`, redacted views for
 * `inspect`. Secrets appear only when explicitly revealed.
 *
 * @module
 */
import { type Connection, CONNECTION_DISPLAY_FIELDS, SECRET_FIELDS } from "./connection.ts";
import { REDACTED_TEXT } from "./secret.ts";

/** A field name `get --field` accepts. */
export type DisplayField = typeof CONNECTION_DISPLAY_FIELDS[number];

/** Whether a field holds a secret. */
export function isSecretField(field: string): boolean {
  return (SECRET_FIELDS as readonly string[]).includes(field);
}

/** The JSON value of one field; secrets revealed only with `reveal`. */
export function fieldValue(connection: Connection, field: DisplayField, reveal: boolean): unknown {
  const secret = (value: { reveal(): string } | null) =>
    value === null ? null : reveal ? value.reveal() : REDACTED_TEXT;
  switch (field) {
    case "provider":
      return connection.provider;
    case "profile":
      return connection.profile;
    case "connection_name":
      return connection.connectionName;
    case "auth_type":
      return connection.authType;
    case "status":
      return connection.status;
    case "base_url":
      return connection.baseUrl;
    case "host_url":
      return connection.hostUrl;
    case "scopes":
      return connection.scopes;
    case "token_type":
      return connection.tokenType;
    case "expires_at":
      return connection.expiresAt;
    case "obtained_at":
      return connection.obtainedAt;
    case "last_refresh_at":
      return connection.lastRefreshAt;
    case "last_refresh_error":
      return connection.lastRefreshError;
    case "access_token":
      return secret(connection.accessToken);
    case "refresh_token":
      return secret(connection.refreshToken);
    case "api_key":
      return secret(connection.apiKey);
    case "metadata":
      return connection.metadata;
  }
}

/** Every field as a JSON object. */
export function connectionView(connection: Connection, reveal: boolean): Record<string, unknown> {
  const view: Record<string, unknown> = {};
  for (const field of CONNECTION_DISPLAY_FIELDS) {
    view[field] = fieldValue(connection, field, reveal);
  }
  return view;
}

/** Plain-text form of a field value (one line, as scripts want it). */
export function fieldText(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (Array.isArray(value)) return value.join(" ");
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

/** `expires in 3h` / `expired 5m ago` / `-`. */
export function relativeExpiry(expiresAt: string | null, nowMs: number): string {
  if (!expiresAt) return "-";
  const at = Date.parse(expiresAt);
  if (Number.isNaN(at)) return expiresAt;
  const seconds = Math.round((at - nowMs) / 1000);
  const span = Math.abs(seconds);
  const text = span < 60
    ? `${span}s`
    : span < 3600
    ? `${Math.floor(span / 60)}m`
    : span < 48 * 3600
    ? `${Math.floor(span / 3600)}h`
    : `${Math.floor(span / 86400)}d`;
  return seconds >= 0 ? `expires in ${text}` : `expired ${text} ago`;
}
