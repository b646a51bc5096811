/**
 * A scripted "browser" for end-to-end OAuth tests, used as `AUTHSOME_BROWSER`. It is given the
 * authorization URL, asks the (fake) authorization server, and follows its redirect to the
 * CLI's loopback callback, as a user's browser would after they approve.
 *
 * Usage: echo <url> | deno run -A tests/e2e/_browser.ts <page>
 */
for (const name of ["HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY"]) {
  Deno.env.delete(name);
}
// authsome hands its opener a private page to open and the URL itself on stdin (never argv).
let url = (await new Response(Deno.stdin.readable).text()).trim();
for (let hop = 0; hop < 10; hop++) {
  const response = await fetch(url, { redirect: "manual" });
  await response.body?.cancel();
  const location = response.headers.get("location");
  if (!location || response.status < 300 || response.status >= 400) break;
  url = new URL(location, url).toString();
}
