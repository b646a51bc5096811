/**
 * The one-time local browser form for secrets: a page on 127.0.0.1 under a random path token,
 * opened in the user's browser, that accepts one POST and then closes. The secret travels from
 * the browser to this process over loopback only, never through argv, the shell history or the
 * terminal's scrollback.
 *
 * @module
 */
import { AuthenticationError, InterruptedError } from "../errors.ts";
import { Secret } from "../model/secret.ts";
import type { Platform } from "../platform/types.ts";

const FORM_TIMEOUT_MS = 5 * 60_000;

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(body: string, status = 200): Response {
  return new Response(
    `<!doctype html><meta charset="utf-8"><title>authsome</title>` +
      `<body style="font-family:sans-serif;max-width:36em;margin:3em auto">${body}</body>`,
    {
      status,
      headers: {
        "content-type": "text/html; charset=utf-8",
        "cache-control": "no-store",
        "referrer-policy": "no-referrer",
        "x-frame-options": "DENY",
        "content-security-policy":
          "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
      },
    },
  );
}

function randomToken(platform: Platform): string {
  return platform.randomBytes(16).toHex();
}

/**
 * Serves the form, opens it, and resolves with what the user submitted. Rejects when the
 * browser cannot be opened (the caller falls back to the terminal), on timeout, or on Ctrl-C.
 */
export async function collectSecretInBrowser(
  platform: Platform,
  request: { title: string; label: string; hint?: string; docs?: string },
  note: (text: string) => void,
  signal?: AbortSignal,
): Promise<Secret> {
  const token = randomToken(platform);
  const path = `/${token}`;
  const { promise, resolve, reject } = Promise.withResolvers<Secret>();
  let done = false;
  const server = await platform.serve({ hostname: "127.0.0.1", port: 0 }, async (req) => {
    const url = new URL(req.url);
    const host = req.headers.get("host");
    if (url.pathname !== path || host !== `127.0.0.1:${server.port}`) {
      return page("<p>Not found.</p>", 404);
    }
    if (done) return page("<p>This form was already used. You can close this tab.</p>", 410);
    if (req.method === "GET") {
      const hint = request.hint ? `<p>${escapeHtml(request.hint)}</p>` : "";
      const docs = request.docs
        ? `<p><a href="${escapeHtml(request.docs)}" rel="noreferrer">Where to find it</a></p>`
        : "";
      return page(
        `<h1>${escapeHtml(request.title)}</h1>${hint}${docs}` +
          `<form method="post"><label>${escapeHtml(request.label)}<br>` +
          `<input type="password" name="secret" autocomplete="off" autofocus required ` +
          `style="width:100%"></label><p><button type="submit">Save</button></p></form>`,
      );
    }
    if (req.method !== "POST") return page("<p>Method not allowed.</p>", 405);
    const form = await req.formData().catch(() => null);
    const value = form?.get("secret");
    if (typeof value !== "string" || value.trim() === "") {
      return page("<p>Nothing was entered. Go back and try again.</p>", 400);
    }
    done = true;
    resolve(new Secret(value));
    return page("<h1>Saved</h1><p>You can close this tab and return to the terminal.</p>");
  });
  const timer = setTimeout(
    () => reject(new AuthenticationError("secure input form timed out or was cancelled")),
    FORM_TIMEOUT_MS,
  );
  const onAbort = () => reject(new InterruptedError("cancelled"));
  signal?.addEventListener("abort", onAbort, { once: true });
  try {
    const url = `http://127.0.0.1:${server.port}${path}`;
    note(`Opening your browser for secure input: ${url}`);
    if (!(await platform.openBrowser(url))) {
      throw new AuthenticationError("could not open a browser for the secure input form");
    }
    return await promise;
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener("abort", onAbort);
    await server.close();
  }
}

/** Whether to offer the browser form: asked for explicitly, or a desktop session is present. */
export function browserFormWanted(platform: Platform): boolean {
  if (platform.env("AUTHSOME_SECRET_INPUT") === "browser") return true;
  return desktopBrowserAvailable(platform) && platform.terminal.stdinIsTerminal;
}

/**
 * Whether a person at a desktop could fill in the form: not turned off (AUTHSOME_SECRET_INPUT=
 * terminal, AUTHSOME_BROWSER=none), not CI, and a graphical session (macOS and Windows always;
 * elsewhere DISPLAY or WAYLAND_DISPLAY). Also the fallback when standard input is neither a
 * terminal nor carries a key (an agent started the login with stdin closed).
 */
export function desktopBrowserAvailable(platform: Platform): boolean {
  const choice = platform.env("AUTHSOME_SECRET_INPUT");
  if (choice === "browser") return true;
  if (choice === "terminal" || platform.env("AUTHSOME_BROWSER") === "none") return false;
  if (platform.env("CI")) return false;
  if (platform.os === "darwin" || platform.os === "windows") return true;
  return Boolean(platform.env("DISPLAY") || platform.env("WAYLAND_DISPLAY"));
}
