/**
 * A scripted "browser" for the secure input form, used as `AUTHSOME_BROWSER`: loads the form
 * at the given URL, then submits `FORM_SECRET` as a person would. Writes `FORM_OPENED_AT` (a
 * file path) first, so tests can tell whether a browser was opened at all.
 *
 * Usage: echo <url> | deno run -A tests/e2e/_form_browser.ts <page>
 */
for (const name of ["HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY"]) {
  Deno.env.delete(name);
}
// authsome hands its opener a private page to open and the URL itself on stdin (never argv).
const url = (await new Response(Deno.stdin.readable).text()).trim();
const marker = Deno.env.get("FORM_OPENED_AT");
if (marker) await Deno.writeTextFile(marker, url);
const page = await fetch(url);
await page.body?.cancel();
const submitted = await fetch(url, {
  method: "POST",
  body: new URLSearchParams({ secret: Deno.env.get("FORM_SECRET") ?? "" }),
});
await submitted.body?.cancel();
