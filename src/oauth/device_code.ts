/**
 * Device authorization grant (RFC 8628): start, then poll the token endpoint.
 *
 * All waiting goes through `deps.sleep` and all time through `deps.now`, so tests run with a
 * fake clock. The `device_code` stays wrapped in a {@linkcode Secret} and is never logged.
 *
 * @module
 */
import { AuthenticationError, InterruptedError } from "../errors.ts";
import { Secret } from "../model/secret.ts";
import {
  checkLoggingFailures,
  checkOAuthResponse,
  INTERRUPTED_MESSAGE,
  parseSeconds,
  postWithClient,
  throwIfInterrupted,
} from "./http.ts";
import { DEFAULT_TOKEN_TIMEOUT_MS, requestToken } from "./token_client.ts";
import {
  type ClientCredentials,
  EndpointUnreachableError,
  type OAuthDeps,
  OAuthProtocolError,
  type TokenEndpointAuthMethod,
  type TokenSet,
} from "./types.ts";

/** The device grant type (RFC 8628 §3.4). */
export const DEVICE_CODE_GRANT_TYPE = "urn:ietf:params:oauth:grant-type:device_code";
/** `expires_in` when the server sends none. */
export const DEFAULT_DEVICE_EXPIRES_IN = 900;
/** `interval` when the server sends none (RFC 8628 §3.2). */
export const DEFAULT_DEVICE_INTERVAL = 5;
/** Added to the interval on every `slow_down` (RFC 8628 §3.5). */
export const SLOW_DOWN_STEP_SECONDS = 5;
/** Longest wait between polls while backing off after network errors. */
export const MAX_NETWORK_BACKOFF_MS = 60_000;

/** Messages of the terminal poll outcomes. */
export const DEVICE_DENIED_MESSAGE = "the authorization request was denied";
export const DEVICE_EXPIRED_MESSAGE = "the device code expired; run the login again";
export const DEVICE_TIMEOUT_MESSAGE =
  "timed out waiting for the device authorization; run the login again";

const DEVICE_ENDPOINT = "device authorization endpoint";

/** A device authorization response (RFC 8628 §3.2). */
export interface DeviceAuthorization {
  deviceCode: Secret;
  userCode: string;
  /** `verification_uri`, or Google's `verification_url`. */
  verificationUri: string;
  verificationUriComplete: string | null;
  /** Seconds (default 900). */
  expiresIn: number;
  /** Seconds between polls (default 5, at least 1). */
  interval: number;
  /** `deps.now()` when the response arrived plus `expiresIn`: the polling deadline. */
  expiresAt: number;
}

/**
 * Starts a device authorization (RFC 8628 §3.1): POSTs `client_id` (and the secret per the
 * auth method) and `scope` to the device authorization endpoint.
 *
 * @throws OAuthProtocolError on an OAuth error (e.g. `invalid_client`, `invalid_scope`).
 * @throws EndpointUnreachableError on network trouble, 5xx/429, or a response missing
 *   `device_code`, `user_code` or `verification_uri`.
 * @throws InterruptedError on Ctrl-C.
 */
export async function startDeviceAuthorization(
  deps: OAuthDeps,
  options: {
    url: string;
    client: ClientCredentials;
    scopes: readonly string[];
    authMethod?: TokenEndpointAuthMethod;
    timeoutMs?: number;
  },
): Promise<DeviceAuthorization> {
  const params: Record<string, string> = {};
  const scope = options.scopes.map((s) => s.trim()).filter(Boolean).join(" ");
  if (scope) params.scope = scope;
  const response = await postWithClient(deps, {
    url: options.url,
    params,
    client: options.client,
    authMethod: options.authMethod,
    timeoutMs: options.timeoutMs ?? DEFAULT_TOKEN_TIMEOUT_MS,
    endpoint: DEVICE_ENDPOINT,
  });
  return checkLoggingFailures(deps, DEVICE_ENDPOINT, options.url, response, (r) => {
    const record = checkOAuthResponse(r.status, r.contentType, r.text, DEVICE_ENDPOINT);
    const invalid = (what: string) =>
      new EndpointUnreachableError(`invalid response from ${DEVICE_ENDPOINT}: ${what}`);
    const deviceCode = record.device_code;
    const userCode = record.user_code;
    const verificationUri = record.verification_uri ?? record.verification_url;
    if (typeof deviceCode !== "string" || deviceCode.length === 0) throw invalid("no device_code");
    if (typeof userCode !== "string" || userCode.length === 0) throw invalid("no user_code");
    if (typeof verificationUri !== "string" || verificationUri.length === 0) {
      throw invalid("no verification_uri");
    }
    const complete = record.verification_uri_complete ?? record.verification_url_complete;
    const expiresIn = parseSeconds(record.expires_in) || DEFAULT_DEVICE_EXPIRES_IN;
    const rawInterval = parseSeconds(record.interval);
    const interval = rawInterval === undefined ? DEFAULT_DEVICE_INTERVAL : Math.max(1, rawInterval);
    return {
      deviceCode: new Secret(deviceCode),
      userCode,
      verificationUri,
      verificationUriComplete: typeof complete === "string" && complete.length > 0
        ? complete
        : null,
      expiresIn,
      interval,
      expiresAt: deps.now() + expiresIn * 1000,
    };
  });
}

/** Waits `ms` through `deps.sleep`, or throws InterruptedError as soon as the signal fires. */
async function interruptibleSleep(deps: OAuthDeps, ms: number): Promise<void> {
  throwIfInterrupted(deps);
  const signal = deps.signal;
  if (!signal) return await deps.sleep(ms);
  let onAbort = () => {};
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(new InterruptedError(INTERRUPTED_MESSAGE));
    signal.addEventListener("abort", onAbort, { once: true });
  });
  try {
    await Promise.race([deps.sleep(ms), aborted]);
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
}

/**
 * Polls the token endpoint until the user approves (RFC 8628 §3.4, §3.5).
 *
 * - waits `interval` before every poll (the first included);
 * - `authorization_pending`: keeps polling; `slow_down`: the interval grows by 5 s for this
 *   and every later poll;
 * - `access_denied`: `AuthenticationError("the authorization request was denied")`;
 *   `expired_token`: `AuthenticationError("the device code expired; run the login again")`;
 *   any other OAuth error: rethrown as the `OAuthProtocolError`;
 * - network errors, 5xx and 429: keeps polling, doubling the wait for each consecutive failure
 *   (at most 60 s, or the interval if that is longer);
 * - at `authorization.expiresAt`: `AuthenticationError("timed out waiting for the device
 *   authorization; run the login again")`;
 * - the poll body is a form, or with `json` a JSON object `{grant_type, device_code,
 *   client_id}` (Postiz).
 */
export async function pollForDeviceToken(
  deps: OAuthDeps,
  options: {
    tokenUrl: string;
    authorization: DeviceAuthorization;
    client: ClientCredentials;
    json?: boolean;
    authMethod?: TokenEndpointAuthMethod;
    timeoutMs?: number;
  },
): Promise<TokenSet> {
  const { authorization } = options;
  const deadline = authorization.expiresAt;
  let intervalMs = authorization.interval * 1000;
  let networkFailures = 0;
  for (let poll = 1;; poll++) {
    const wait = networkFailures === 0 ? intervalMs : Math.min(
      intervalMs * 2 ** Math.min(networkFailures, 16),
      Math.max(intervalMs, MAX_NETWORK_BACKOFF_MS),
    );
    const remaining = deadline - deps.now();
    if (remaining <= 0) throw new AuthenticationError(DEVICE_TIMEOUT_MESSAGE);
    await interruptibleSleep(deps, Math.min(wait, remaining));
    if (deps.now() >= deadline) throw new AuthenticationError(DEVICE_TIMEOUT_MESSAGE);
    try {
      return await requestToken(deps, {
        url: options.tokenUrl,
        params: {
          grant_type: DEVICE_CODE_GRANT_TYPE,
          device_code: authorization.deviceCode.reveal(),
        },
        client: options.client,
        authMethod: options.authMethod,
        json: options.json,
        timeoutMs: Math.min(options.timeoutMs ?? DEFAULT_TOKEN_TIMEOUT_MS, deadline - deps.now()),
      });
    } catch (error) {
      if (error instanceof EndpointUnreachableError) {
        networkFailures++;
        deps.log.debug("device poll failed; backing off", { poll, reason: error.reason });
        continue;
      }
      if (!(error instanceof OAuthProtocolError)) throw error;
      networkFailures = 0;
      switch (error.oauthError) {
        case "authorization_pending":
          deps.log.debug("device poll: authorization pending", { poll });
          continue;
        case "slow_down":
          intervalMs += SLOW_DOWN_STEP_SECONDS * 1000;
          deps.log.debug("device poll: slow_down", { poll, interval_s: intervalMs / 1000 });
          continue;
        case "access_denied":
          throw new AuthenticationError(DEVICE_DENIED_MESSAGE, { cause: error });
        case "expired_token":
          throw new AuthenticationError(DEVICE_EXPIRED_MESSAGE, { cause: error });
        default:
          throw error;
      }
    }
  }
}
