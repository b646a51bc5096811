/**
 * Shared types of the OAuth 2.0 client: what the protocol modules take (an injected `fetch`,
 * clock, randomness and log) and what they return or throw.
 *
 * @module
 */
import { AuthenticationError } from "../errors.ts";
import type { TokenEndpointAuthMethod as ModelAuthMethod } from "../model/provider.ts";
import type { Secret } from "../model/secret.ts";

/** The debug log as the OAuth layer sees it (same shape as the core's LogSink). */
export interface OAuthLog {
  debug(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
}

/** What every protocol call needs from the outside. */
export interface OAuthDeps {
  fetch: typeof fetch;
  /** Milliseconds since the epoch. */
  now(): number;
  sleep(ms: number): Promise<void>;
  randomBytes(length: number): Uint8Array;
  log: OAuthLog;
  /** Aborts waits and requests (Ctrl-C). */
  signal?: AbortSignal;
}

/**
 * How the client authenticates to the token endpoint (RFC 6749 §2.3.1, RFC 7591 §2):
 * `client_secret_post` (id and secret in the body), `client_secret_basic` (HTTP Basic with
 * form-encoded id and secret) or `none` (public client: client_id in the body).
 */
export type TokenEndpointAuthMethod = ModelAuthMethod;

/** Client credentials sent to the token endpoint. */
export interface ClientCredentials {
  clientId: string;
  /** Null for public clients (`token_endpoint_auth_method: none`). */
  clientSecret: Secret | null;
  /**
   * How to authenticate, unless the request says otherwise. Default: `client_secret_post`
   * with a secret, `none` without.
   */
  authMethod?: TokenEndpointAuthMethod;
}

/** A successful token response (RFC 6749 §5.1), secrets wrapped. */
export interface TokenSet {
  accessToken: Secret;
  /** Null when the response carried none (keep the stored one: RFC 6749 §6). */
  refreshToken: Secret | null;
  tokenType: string | null;
  /** Seconds, from a number or a digit string; null when absent. */
  expiresIn: number | null;
  /** Space-separated scopes granted, when the server said. */
  scope: string | null;
  /** Other non-secret fields of the response (e.g. `id_token` is dropped). */
  extra: Record<string, unknown>;
}

/**
 * The authorization server answered with an OAuth error (RFC 6749 §5.2), whether with a 4xx or,
 * like GitHub, with HTTP 200. `oauthError` is the normalised code (`bad_refresh_token` becomes
 * `invalid_grant`, `incorrect_client_credentials` becomes `invalid_client`); `providerError` is
 * the code as the server sent it.
 */
export class OAuthProtocolError extends AuthenticationError {
  override readonly code: string = "oauth_error";
  readonly oauthError: string;
  readonly providerError: string;
  readonly description: string | null;
  readonly httpStatus: number;
  constructor(
    oauthError: string,
    description: string | null,
    httpStatus: number,
    options: { hint?: string; providerError?: string } = {},
  ) {
    const named = errorCodeText(oauthError, options.providerError ?? oauthError);
    super(description ? `${named}: ${description}` : named, options);
    this.oauthError = oauthError;
    this.providerError = options.providerError ?? oauthError;
    this.description = description;
    this.httpStatus = httpStatus;
  }
  /** The code for messages: `invalid_grant`, or `invalid_grant (bad_refresh_token)`. */
  get codeText(): string {
    return errorCodeText(this.oauthError, this.providerError);
  }
  override name = "OAuthProtocolError";
}

/**
 * The endpoint could not be used: DNS failure, refused connection, timeout, HTTP 5xx or 429,
 * or a body that is not a token response. `reason` is the short phrase of docs/contract.md §4:
 * `connection timed out`, `connection refused`, `could not resolve host <host>`,
 * `HTTP 503 from token endpoint`.
 */
export class EndpointUnreachableError extends AuthenticationError {
  override readonly code: string = "endpoint_unreachable";
  readonly reason: string;
  constructor(reason: string, options: { cause?: unknown; hint?: string } = {}) {
    super(reason, options);
    this.reason = reason;
  }
  override name = "EndpointUnreachableError";
}

/**
 * An OAuth error code for messages: the RFC 6749 code, followed by the provider's own code in
 * parentheses when it was normalised (`invalid_grant (bad_refresh_token)`), so the user can look
 * the provider's code up in its documentation.
 */
export function errorCodeText(oauthError: string, providerError: string): string {
  return providerError === oauthError ? oauthError : `${oauthError} (${providerError})`;
}

/** The RFC 6749 code at the start of an {@linkcode errorCodeText} text. */
export function errorCodeOf(text: string): string {
  const space = text.indexOf(" (");
  return space === -1 ? text : text.slice(0, space);
}

/** OAuth error codes that mean the grant or client is dead: the connection becomes `invalid`. */
export const REJECTING_ERRORS: ReadonlySet<string> = new Set([
  "invalid_grant",
  "invalid_client",
  "expired_token",
  "unauthorized_client",
]);
