/**
 * The loopback redirect listener of the authorization-code flow (RFC 8252 §7.3, §8.3;
 * RFC 9700 §4.2.4).
 *
 * - Listens on `127.0.0.1` only; port 0 picks a free port. `redirectUri` is
 *   `http://127.0.0.1:<port><path>` (`/callback` by default). When this machine has no IPv4
 *   loopback (binding 127.0.0.1 fails with "address not available"), or the caller asks for
 *   it, it listens on the IPv6 loopback and the redirect URI is `http://[::1]:<port><path>`.
 * - RFC 9207 (mix-up defence): a callback whose `iss` differs from the expected issuer fails,
 *   and so does one without `iss` when the server's metadata says it sends one.
 * - Keeps serving until a request brings the right `state`. `state` is compared in constant
 *   time BEFORE `code` or `error` is looked at: a request with a missing or wrong state gets a
 *   400 page and changes nothing, so a forged `?error=access_denied` cannot end the login.
 * - The first request with the right state settles the outcome: `code` resolves, `error`
 *   rejects with an {@linkcode AuthenticationError} naming the error. Every later request gets
 *   a "this login is already complete" page (a second callback is refused).
 * - Timeout (default 5 minutes): rejects with `timed out waiting for the browser`. The caller's
 *   signal aborting (Ctrl-C): rejects with {@linkcode InterruptedError}.
 * - Pages are static HTML (nothing from the request is echoed), with
 *   `Referrer-Policy: no-referrer`, `Cache-Control: no-store`, a `default-src 'none'` CSP and
 *   no third-party resources.
 *
 * Two ways to use it. {@linkcode startCallbackListener} returns as soon as the port is open
 * (so the caller knows `redirectUri` before building the authorization URL) and leaves closing
 * to the caller. {@linkcode waitForAuthorizationCallback} does it all and settles only after the
 * server has been closed.
 *
 * @module
 */
import { AuthenticationError, InterruptedError } from "../errors.ts";
import { Secret } from "../model/secret.ts";
import type { Platform } from "../platform/types.ts";
import { cleanServerText, INTERRUPTED_MESSAGE } from "./http.ts";
import { constantTimeEqualStrings } from "./pkce.ts";

/** The signature of `Platform.serve`. */
export type ListenFunction = Platform["serve"];

/** Default wait for the browser to come back. */
export const DEFAULT_CALLBACK_TIMEOUT_MS = 5 * 60 * 1000;
/** Message of the timeout rejection. */
export const CALLBACK_TIMEOUT_MESSAGE = "timed out waiting for the browser";

/** Options of the listener. */
export interface CallbackOptions {
  /** 0 for an ephemeral port; the CLI's default is 7999. */
  port: number;
  /** The `state` sent in the authorization request. */
  state: string;
  /** Default {@linkcode DEFAULT_CALLBACK_TIMEOUT_MS}. */
  timeoutMs?: number;
  /** Ctrl-C. */
  signal?: AbortSignal;
  /** Default `/callback`. */
  path?: string;
  /**
   * RFC 9207: when set and the callback carries `iss`, it must equal this exactly (simple
   * string comparison), else the login fails (mix-up attack).
   */
  expectedIssuer?: string | null;
  /**
   * RFC 9207 §2.4: the server's metadata says `authorization_response_iss_parameter_supported`,
   * so a callback without `iss` fails.
   */
  requireIssuer?: boolean;
  /** The loopback address to bind; default `127.0.0.1`, falling back to `[::1]`. */
  host?: "127.0.0.1" | "[::1]";
}

/** A successful callback. */
export interface AuthorizationCallback {
  code: Secret;
  redirectUri: string;
  /** The `iss` parameter (RFC 9207), when the server sent one. */
  iss: string | null;
  /** Closes the listener (idempotent; already done by `waitForAuthorizationCallback`). */
  close(): Promise<void>;
}

/** A running listener. */
export interface CallbackListener {
  readonly port: number;
  readonly redirectUri: string;
  /**
   * Settles with the first callback carrying the right state, or rejects (error callback,
   * timeout, interruption, close). Already marked handled: an unawaited rejection does not
   * crash the process.
   */
  readonly callback: Promise<AuthorizationCallback>;
  /**
   * Stops listening (idempotent). Before the callback settled, it rejects with
   * `AuthenticationError("the login was cancelled")`.
   */
  close(): Promise<void>;
}

const PAGE_HEADERS: Record<string, string> = {
  "Content-Type": "text/html; charset=utf-8",
  "Cache-Control": "no-store",
  "Referrer-Policy": "no-referrer",
  "X-Content-Type-Options": "nosniff",
  "X-Frame-Options": "DENY",
  "Content-Security-Policy":
    "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; " +
    "frame-ancestors 'none'",
};

/** A static page: `title` and `text` are constants of this module, never request data. */
function page(status: number, title: string, text: string): Response {
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>authsome: ${title}</title>
<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#222}</style>
</head>
<body>
<h1>${title}</h1>
<p>${text}</p>
</body>
</html>
`;
  const headers = new Headers(PAGE_HEADERS);
  if (status === 405) headers.set("Allow", "GET");
  return new Response(html, { status, headers });
}

const CLOSE_TAB = "You can close this tab and return to the terminal.";

/**
 * Opens the listener and returns at once with its port and `redirectUri`. The caller must
 * call `close()` (in a `finally`) once `callback` has settled; until then later requests get
 * the "already complete" page.
 *
 * @throws InterruptedError when `signal` has already fired.
 */
export async function startCallbackListener(
  listen: ListenFunction,
  options: CallbackOptions,
): Promise<CallbackListener> {
  const { signal } = options;
  if (signal?.aborted) throw new InterruptedError(INTERRUPTED_MESSAGE);
  const path = options.path ?? "/callback";
  const timeoutMs = options.timeoutMs ?? DEFAULT_CALLBACK_TIMEOUT_MS;
  const { promise: callback, resolve, reject } = Promise.withResolvers<AuthorizationCallback>();
  callback.catch(() => {});

  let settled: "complete" | "stopped" | null = null;
  let redirectUri = "";
  let timer: ReturnType<typeof setTimeout> | undefined;
  let closing: Promise<void> | null = null;
  let server: { close(): Promise<void> } | null = null;

  const cleanup = () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    signal?.removeEventListener("abort", onAbort);
  };
  const settle = (kind: "complete" | "stopped", outcome: () => void) => {
    if (settled) return;
    settled = kind;
    cleanup();
    outcome();
  };
  const onAbort = () => settle("stopped", () => reject(new InterruptedError(INTERRUPTED_MESSAGE)));
  const close = (): Promise<void> => {
    settle("stopped", () => reject(new AuthenticationError("the login was cancelled")));
    closing ??= server ? server.close() : Promise.resolve();
    return closing;
  };

  const handler = (request: Request): Response => {
    const url = new URL(request.url);
    if (url.pathname !== path) return page(404, "Not found", "There is nothing here.");
    if (request.method !== "GET") return page(405, "Not allowed", "Only GET is supported.");
    if (settled === "complete") {
      return page(409, "Login already complete", `This login is already complete. ${CLOSE_TAB}`);
    }
    if (settled === "stopped") {
      return page(410, "Login no longer active", `This login timed out or was cancelled.`);
    }
    // The state is checked before anything else in the request is acted upon.
    const states = url.searchParams.getAll("state");
    if (states.length !== 1 || !constantTimeEqualStrings(states[0], options.state)) {
      return page(
        400,
        "Invalid login response",
        "This response does not belong to the login in progress, so it was ignored.",
      );
    }
    const error = url.searchParams.get("error");
    if (error !== null) {
      const description = url.searchParams.get("error_description");
      const named = cleanServerText(error, 80) || "unknown_error";
      const detail = description ? ` (${cleanServerText(description, 200)})` : "";
      settle("complete", () =>
        reject(
          new AuthenticationError(`the authorization server returned an error: ${named}${detail}`),
        ));
      return page(200, "Login failed", `The authorization server refused the login. ${CLOSE_TAB}`);
    }
    const iss = url.searchParams.get("iss");
    const issProblem = issuerProblem(iss, options);
    if (issProblem) {
      settle("complete", () => reject(new AuthenticationError(issProblem.message, issProblem)));
      return page(400, "Login failed", `The response came from the wrong server. ${CLOSE_TAB}`);
    }
    const code = url.searchParams.get("code");
    if (!code) {
      settle(
        "complete",
        () => reject(new AuthenticationError("the callback carried no authorization code")),
      );
      return page(400, "Login failed", `The response carried no authorization code. ${CLOSE_TAB}`);
    }
    settle("complete", () => resolve({ code: new Secret(code), redirectUri, iss, close }));
    return page(200, "Login complete", `authsome is now connected. ${CLOSE_TAB}`);
  };

  const { local, host } = await listenOnLoopback(listen, options, handler);
  server = local;
  redirectUri = `http://${host}:${local.port}${path}`;
  if (signal?.aborted) {
    onAbort();
  } else {
    signal?.addEventListener("abort", onAbort, { once: true });
    timer = setTimeout(
      () => settle("stopped", () => reject(new AuthenticationError(CALLBACK_TIMEOUT_MESSAGE))),
      timeoutMs,
    );
  }
  return { port: local.port, redirectUri, callback, close };
}

/** Why the callback's `iss` is refused (RFC 9207 §2.4), or null. */
function issuerProblem(
  iss: string | null,
  options: CallbackOptions,
): { message: string; hint: string } | null {
  const expected = options.expectedIssuer;
  const hint = "Check the provider's issuer (oauth.issuer) and authorization_url; if they are " +
    "right, someone may be attempting a mix-up attack: do not retry from this network.";
  if (iss === null) {
    if (!options.requireIssuer) return null;
    return {
      message: `the authorization response carried no iss, but ${expected ?? "the server"} ` +
        "says it always sends one (RFC 9207); the login was refused",
      hint,
    };
  }
  if (!expected || iss === expected) return null;
  return {
    message: `the authorization response came from a different server: iss ` +
      `"${cleanServerText(iss, 200)}" is not the expected issuer "${expected}" (RFC 9207); ` +
      "the login was refused",
    hint,
  };
}

/**
 * Binds the loopback listener: the requested host, else `127.0.0.1`, falling back to the IPv6
 * loopback when the machine has no IPv4 loopback address. A port already in use is not a
 * reason to move (the redirect URI registered with the provider names 127.0.0.1).
 */
async function listenOnLoopback(
  listen: ListenFunction,
  options: CallbackOptions,
  handler: (request: Request) => Response,
): Promise<{ local: { port: number; close(): Promise<void> }; host: string }> {
  if (options.host === "[::1]") {
    return { local: await listen({ hostname: "::1", port: options.port }, handler), host: "[::1]" };
  }
  try {
    return {
      local: await listen({ hostname: "127.0.0.1", port: options.port }, handler),
      host: "127.0.0.1",
    };
  } catch (error) {
    if (options.host === "127.0.0.1" || !(error instanceof Error)) throw error;
    if (error.name !== "AddrNotAvailable") throw error;
    return { local: await listen({ hostname: "::1", port: options.port }, handler), host: "[::1]" };
  }
}

/**
 * Listens, calls `onListening(redirectUri)` (build the authorization URL and open the browser
 * there), waits for the callback and closes the server; settles only after the server is
 * closed, so the returned `close()` has nothing left to do.
 */
export async function waitForAuthorizationCallback(
  listen: ListenFunction,
  options: CallbackOptions & {
    onListening?: (redirectUri: string) => void | Promise<void>;
  },
): Promise<AuthorizationCallback> {
  const listener = await startCallbackListener(listen, options);
  try {
    await options.onListening?.(listener.redirectUri);
    return await listener.callback;
  } finally {
    await listener.close();
  }
}
