/**
 * A scripted browser for the oidc-provider interoperability tests (`AUTHSOME_BROWSER`): logs
 * in as "alice", consents, and follows the redirect to the CLI's loopback callback.
 *
 * Usage: deno run -A tests/e2e/_oidc_browser.ts <authorization url>
 */
import { completeAuthorization } from "../_fakes/user_agent.ts";

for (const name of ["HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY"]) {
  Deno.env.delete(name);
}
await completeAuthorization(Deno.args[0], { login: "alice" });
