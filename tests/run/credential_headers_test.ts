import assert from "node:assert/strict";
import { CredentialHeaders } from "../../src/run/credential_headers.ts";
import { EXPIRES, oauthFixture, OLD_ACCESS } from "../auth/_oauth_fixture.ts";

Deno.test("proxy headers are cached, then refreshed when the token nears expiry mid-run", async () => {
  // A long-running child: the first request comes an hour before expiry.
  await using f = await oauthFixture({ now: EXPIRES - 3600_000 });
  const headers = new CredentialHeaders(f.ctx);
  const first = await headers.header("fakehub", "default");
  assert.equal(first.name, "Authorization");
  assert.equal(first.value.reveal(), `Bearer ${OLD_ACCESS}`);
  // Many requests later, still outside the window: served from memory, no refresh.
  f.platform.advance(3000_000);
  assert.equal((await headers.header("fakehub", "default")).value.reveal(), `Bearer ${OLD_ACCESS}`);
  assert.equal(f.tokenRequests(), 0);
  // Inside the 300 s window: the next request refreshes and uses the new token.
  f.platform.advance(400_000);
  const refreshed = await headers.header("fakehub", "default");
  assert.equal(f.tokenRequests(), 1);
  assert.notEqual(refreshed.value.reveal(), `Bearer ${OLD_ACCESS}`);
  assert.ok(f.server.isAccessTokenActive(refreshed.value.reveal().slice("Bearer ".length)));
  assert.equal((await f.stored()).accessToken?.reveal(), refreshed.value.reveal().slice(7));
});
