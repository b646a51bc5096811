/**
 * A headless "user with a browser" for tests: drives an authorization server's HTML pages with
 * `fetch`, a cookie jar and manual redirects.
 *
 * Built for oidc-provider's devInteractions (login page: any login and password; consent page:
 * one "Continue" button; device pages: user-code confirmation with an `xsrf` field), and it also
 * works against the fake server of `oauth_server.ts`, which redirects at once. No JavaScript is
 * run: each HTML page is handled by submitting its first POST form with the hidden fields it
 * carries, plus `login`, `password` and `user_code` where the form asks for them.
 */

/** One stored cookie. */
interface StoredCookie {
  name: string;
  value: string;
  path: string;
  expires?: number;
}

/**
 * A cookie jar honouring `Path`, `Expires` and `Max-Age`, kept per host:port (stricter than a
 * browser, which ignores ports, so an authorization server's cookies never reach a loopback
 * callback listener on another port).
 */
export class CookieJar {
  #byOrigin = new Map<string, StoredCookie[]>();

  /** Stores the `Set-Cookie` headers of a response received for `url`. */
  store(url: URL, headers: Headers): void {
    for (const line of headers.getSetCookie()) {
      const cookie = parseSetCookie(line, url);
      if (!cookie) continue;
      const list = (this.#byOrigin.get(url.host) ?? []).filter((c) =>
        !(c.name === cookie.name && c.path === cookie.path)
      );
      if (cookie.expires === undefined || cookie.expires > Date.now()) list.push(cookie);
      this.#byOrigin.set(url.host, list);
    }
  }

  /** The `Cookie` header value for a request to `url`, or undefined when none apply. */
  header(url: URL): string | undefined {
    const now = Date.now();
    const matching = (this.#byOrigin.get(url.host) ?? [])
      .filter((c) =>
        (c.expires === undefined || c.expires > now) && pathMatches(url.pathname, c.path)
      )
      // RFC 6265 §5.4: longer paths first.
      .sort((a, b) => b.path.length - a.path.length);
    if (matching.length === 0) return undefined;
    return matching.map((c) => `${c.name}=${c.value}`).join("; ");
  }

  /** Names of the cookies currently held for a host (for debugging and tests). */
  names(host: string): string[] {
    return (this.#byOrigin.get(host) ?? []).map((c) => `${c.name} (${c.path})`);
  }
}

function parseSetCookie(line: string, url: URL): StoredCookie | undefined {
  const [pair, ...attributes] = line.split(";");
  const eq = pair.indexOf("=");
  if (eq <= 0) return undefined;
  const cookie: StoredCookie = {
    name: pair.slice(0, eq).trim(),
    value: pair.slice(eq + 1).trim(),
    path: defaultPath(url.pathname),
  };
  let maxAge: number | undefined;
  for (const attribute of attributes) {
    const at = attribute.indexOf("=");
    const key = (at === -1 ? attribute : attribute.slice(0, at)).trim().toLowerCase();
    const value = at === -1 ? "" : attribute.slice(at + 1).trim();
    if (key === "path" && value.startsWith("/")) cookie.path = value;
    else if (key === "expires") {
      const ms = Date.parse(value);
      if (!Number.isNaN(ms)) cookie.expires = ms;
    } else if (key === "max-age" && /^-?\d+$/.test(value)) maxAge = Number(value);
  }
  if (maxAge !== undefined) cookie.expires = Date.now() + maxAge * 1000;
  return cookie;
}

/** RFC 6265 §5.1.4 default-path. */
function defaultPath(pathname: string): string {
  const slash = pathname.lastIndexOf("/");
  return slash <= 0 ? "/" : pathname.slice(0, slash);
}

/** RFC 6265 §5.1.4 path-match. */
function pathMatches(requestPath: string, cookiePath: string): boolean {
  if (requestPath === cookiePath) return true;
  if (!requestPath.startsWith(cookiePath)) return false;
  return cookiePath.endsWith("/") || requestPath[cookiePath.length] === "/";
}

/** Options for {@link completeAuthorization}. */
export interface AuthorizeOptions {
  /** Login name typed on the login page (default "alice"). */
  login?: string;
  /** Password typed on the login page (default "x"; devInteractions accept anything). */
  password?: string;
  /**
   * Cancel instead of approving: follow the page's abort link (oidc-provider's "[ Cancel ]"),
   * so the server redirects with `error=access_denied`.
   */
  deny?: boolean;
  /** GET the final loopback redirect so a callback listener receives it (default true). */
  followCallback?: boolean;
  /** A jar to share between calls (an existing login session); a fresh one by default. */
  jar?: CookieJar;
  /** Give up after this many requests (default 25). */
  maxSteps?: number;
}

/**
 * Completes an authorization-code login as a user would in a browser, starting at the full
 * authorization URL (as printed by a CLI). Follows redirects manually, logs in, consents, and
 * stops when a redirect leads to the request's `redirect_uri` (matched by origin and path, so a
 * loopback redirect on any port matches). It then GETs that URL (unless `followCallback` is
 * false), so a callback listener receives the code, and returns it, e.g.
 * `http://127.0.0.1:54321/callback?code=...&state=...&iss=...`.
 */
export async function completeAuthorization(
  authorizationUrl: string,
  options: AuthorizeOptions = {},
): Promise<string> {
  const start = new URL(authorizationUrl);
  const redirectParam = start.searchParams.get("redirect_uri");
  const target = redirectParam ? new URL(redirectParam) : undefined;
  const isTarget = (url: URL) =>
    target
      ? url.origin === target.origin && url.pathname === target.pathname
      : url.origin !== start.origin;
  const finalUrl = await browse(start, isTarget, options);
  if (options.followCallback !== false) {
    let res: Response;
    try {
      res = await fetch(finalUrl, { redirect: "manual" });
    } catch (error) {
      throw new Error(`user agent: the callback ${finalUrl.origin} did not answer: ${error}`);
    }
    await res.body?.cancel();
  }
  return finalUrl.href;
}

/** Options for {@link confirmDeviceCode}. */
export interface DeviceConfirmOptions {
  login?: string;
  password?: string;
  /** Press "abort" on the confirmation page instead of confirming. */
  deny?: boolean;
  jar?: CookieJar;
  maxSteps?: number;
}

/**
 * Approves a device authorization (RFC 8628) as the user: opens `verification_uri_complete`
 * (or `verificationUri` with `userCode` typed into the form), confirms the code, logs in and
 * consents, until the server shows a page without a form (oidc-provider: "Sign-in Success").
 * Returns that page's text. Throws if the server reports an error.
 */
export async function confirmDeviceCode(
  verificationUri: string,
  userCode?: string,
  options: DeviceConfirmOptions = {},
): Promise<string> {
  const jar = options.jar ?? new CookieJar();
  let url = new URL(verificationUri);
  if (userCode !== undefined && !url.searchParams.has("user_code")) {
    url = new URL(url);
    url.searchParams.set("user_code", userCode);
  }
  let method = "GET";
  let body: URLSearchParams | undefined;
  const maxSteps = options.maxSteps ?? 25;
  for (let step = 0; step < maxSteps; step++) {
    const res = await request(jar, url, method, body);
    if (isRedirect(res.status)) {
      await res.body?.cancel();
      url = new URL(res.headers.get("location")!, url);
      method = "GET";
      body = undefined;
      continue;
    }
    const html = await res.text();
    const form = firstPostForm(html, url);
    if (!form) {
      if (res.status >= 400 || /class="red"|error/i.test(titleOf(html))) {
        throw new Error(
          `user agent: device page ${url.pathname} answered ${res.status}: ${summarize(html)}`,
        );
      }
      return html;
    }
    if (options.deny && form.fields.has("confirm")) {
      form.fields.delete("confirm");
      form.fields.set("abort", "yes");
    }
    fillForm(form.fields, options, userCode);
    url = form.action;
    method = "POST";
    body = form.fields;
  }
  throw new Error(`user agent: gave up after ${maxSteps} requests at ${url.href}`);
}

async function browse(
  start: URL,
  isTarget: (url: URL) => boolean,
  options: AuthorizeOptions,
): Promise<URL> {
  const jar = options.jar ?? new CookieJar();
  let url = start;
  let method = "GET";
  let body: URLSearchParams | undefined;
  const maxSteps = options.maxSteps ?? 25;
  for (let step = 0; step < maxSteps; step++) {
    const res = await request(jar, url, method, body);
    if (isRedirect(res.status)) {
      await res.body?.cancel();
      const location = res.headers.get("location");
      if (!location) throw new Error(`user agent: ${res.status} without Location at ${url.href}`);
      const next = new URL(location, url);
      if (isTarget(next)) return next;
      url = next;
      method = "GET";
      body = undefined;
      continue;
    }
    const html = await res.text();
    if (options.deny) {
      const abort = abortLink(html, url);
      if (abort) {
        url = abort;
        method = "GET";
        body = undefined;
        continue;
      }
    }
    const form = firstPostForm(html, url);
    if (!form) {
      throw new Error(
        `user agent: ${method} ${url.pathname} answered ${res.status} with no form: ${
          summarize(html)
        }`,
      );
    }
    fillForm(form.fields, options);
    url = form.action;
    method = "POST";
    body = form.fields;
  }
  throw new Error(`user agent: gave up after ${maxSteps} requests at ${url.href}`);
}

async function request(
  jar: CookieJar,
  url: URL,
  method: string,
  body: URLSearchParams | undefined,
): Promise<Response> {
  const headers = new Headers({ accept: "text/html,application/json;q=0.9,*/*;q=0.8" });
  const cookie = jar.header(url);
  if (cookie) headers.set("cookie", cookie);
  if (body) headers.set("content-type", "application/x-www-form-urlencoded");
  const res = await fetch(url, { method, headers, body: body?.toString(), redirect: "manual" });
  jar.store(url, res.headers);
  return res;
}

function isRedirect(status: number): boolean {
  return status >= 300 && status < 400;
}

interface ParsedForm {
  action: URL;
  fields: URLSearchParams;
}

/** The first `<form method="post">` of a page: its action and its named inputs' values. */
function firstPostForm(html: string, base: URL): ParsedForm | undefined {
  for (const match of html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/gi)) {
    const attrs = attributes(match[1]);
    if ((attrs.get("method") ?? "get").toLowerCase() !== "post") continue;
    const fields = new URLSearchParams();
    for (const input of match[2].matchAll(/<input\b([^>]*)>/gi)) {
      const a = attributes(input[1]);
      const name = a.get("name");
      if (name) fields.set(name, a.get("value") ?? "");
    }
    return { action: new URL(decodeEntities(attrs.get("action") ?? base.href), base), fields };
  }
  return undefined;
}

function abortLink(html: string, base: URL): URL | undefined {
  for (const match of html.matchAll(/<a\b([^>]*)>/gi)) {
    const href = attributes(match[1]).get("href");
    if (href && /\/abort(\?|$)/.test(decodeEntities(href))) {
      return new URL(decodeEntities(href), base);
    }
  }
  return undefined;
}

function fillForm(
  fields: URLSearchParams,
  options: { login?: string; password?: string },
  userCode?: string,
): void {
  if (fields.has("login")) fields.set("login", options.login ?? "alice");
  if (fields.has("password")) fields.set("password", options.password ?? "x");
  if (fields.has("user_code") && !fields.get("user_code") && userCode) {
    fields.set("user_code", userCode);
  }
}

function attributes(source: string): Map<string, string> {
  const out = new Map<string, string>();
  for (
    const m of source.matchAll(/([a-zA-Z_:][-\w:.]*)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+)))?/g)
  ) {
    out.set(m[1].toLowerCase(), decodeEntities(m[2] ?? m[3] ?? m[4] ?? ""));
  }
  return out;
}

function decodeEntities(text: string): string {
  return text
    .replace(/&#(\d+);/g, (_, n) => String.fromCharCode(Number(n)))
    .replace(/&#x([0-9a-f]+);/gi, (_, n) => String.fromCharCode(parseInt(n, 16)))
    .replace(/&quot;/g, '"')
    .replace(/&#39;|&apos;/g, "'")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&");
}

function titleOf(html: string): string {
  return /<title>([\s\S]*?)<\/title>/i.exec(html)?.[1] ?? "";
}

function summarize(html: string): string {
  const text = html.replace(/<style[\s\S]*?<\/style>/gi, "").replace(/<[^>]+>/g, " ")
    .replace(/\s+/g, " ").trim();
  return text.length > 400 ? `${text.slice(0, 400)}…` : text;
}
