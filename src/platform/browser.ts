/**
 * Opening a URL in the user's browser without putting it on any command line. Other local
 * users can read every process's argv (`/proc/<pid>/cmdline`, `ps`), and the URLs we open carry
 * secrets of the moment: the OAuth `state` of a login, the one-time path token of the secret
 * form. So the opener (`xdg-open`, `open`, or `AUTHSOME_BROWSER`) gets the path of a private
 * page instead: a 0600 HTML file, in a 0700 directory, that sends the browser on to the URL. A
 * scripted `AUTHSOME_BROWSER` can read the URL itself from its standard input. The page is
 * deleted a minute later, or when this process exits.
 *
 * Only `http:` and `https:` URLs are opened: a provider definition cannot make us hand
 * `file:`, `javascript:` or a custom scheme to the system's opener.
 *
 * @module
 */

/** What the opener needs from the system (injected, so tests see the exact argv). */
export interface BrowserOpenerDeps {
  env(name: string): string | undefined;
  os: string;
  /** Writes `html` to a new private file (0600, in a 0700 directory); returns its path. */
  writePrivatePage(html: string): Promise<string>;
  /** Deletes the page later (once the browser has had time to read it). */
  forgetPage(path: string): void;
  /** Starts `argv` detached, writing `stdin` to its standard input; false if it cannot start. */
  spawn(argv: string[], stdin: string): boolean;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The page that forwards the browser to `url` (already checked to be http or https). */
export function redirectPage(url: string): string {
  const target = escapeHtml(url);
  return `<!doctype html><meta charset="utf-8"><meta name="referrer" content="no-referrer">` +
    `<meta http-equiv="refresh" content="0;url=${target}"><title>authsome</title>` +
    `<p>Opening <a href="${target}" rel="noreferrer">authsome</a>...</p>\n`;
}

function systemOpener(os: string): string[] {
  if (os === "darwin") return ["open"];
  if (os === "windows") return ["cmd", "/c", "start", ""];
  return ["xdg-open"];
}

/** Whether `url` is an absolute http(s) URL (the only kind we open). */
function isWebUrl(url: string): boolean {
  try {
    const { protocol } = new URL(url);
    return protocol === "http:" || protocol === "https:";
  } catch {
    return false;
  }
}

/** The `Platform.openBrowser` built on `deps`. Never throws; false when nothing was opened. */
export function createBrowserOpener(deps: BrowserOpenerDeps): (url: string) => Promise<boolean> {
  return async (url) => {
    if (!isWebUrl(url)) return false;
    const configured = deps.env("AUTHSOME_BROWSER");
    if (configured === "none") return false;
    const command = configured ? configured.split(" ").filter(Boolean) : systemOpener(deps.os);
    if (command.length === 0) return false;
    let page: string;
    try {
      page = await deps.writePrivatePage(redirectPage(url));
    } catch {
      return false;
    }
    deps.forgetPage(page);
    try {
      return deps.spawn([...command, page], `${url}\n`);
    } catch {
      return false;
    }
  };
}
