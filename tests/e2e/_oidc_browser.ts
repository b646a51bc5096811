/**
 * A scripted browser for the oidc-provider interoperability tests (`AUTHSOME_BROWSER`): logs
 * in as "alice", consents, and follows the redirect to the CLI's loopback callback.
 *
 * Usage: echo <authorization url> | deno run -A tests/e2e/_oidc_browser.ts <page>
 */
import { completeAuthorization } from "../_fakes/user_agent.ts";

for (const name of ["HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY"]) {
  Deno.env.delete(name);
}
// authsome hands its opener a private page to open and the URL itself on stdin (never argv).
const url = (await new Response(Deno.stdin.readable).text()).trim();
await completeAuthorization(url, { login: "alice" });
