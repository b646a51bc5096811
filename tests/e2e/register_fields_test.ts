/** `register` refuses unknown fields with "did you mean", through the real CLI. */
import assert from "node:assert/strict";
import { expectExit, expectJsonError, show, withHome } from "./_helpers.ts";

const ACME = {
  schema_version: 1,
  name: "acme",
  display_name: "Acme",
  auth_type: "oauth2",
  flow: "pkce",
  oauth: {
    authorization_url: "https://auth.acme.test/authorize",
    token_url: "https://auth.acme.test/token",
    scope: ["read"],
  },
};

Deno.test("register of a file with a misspelt field: exit 2, did you mean, nothing installed", () =>
  withHome(async (h) => {
    const file = await h.fixture("acme.json", JSON.stringify(ACME));
    const out = await h.run(["register", file]);
    expectExit(out, 2, "register with oauth.scope");
    assert.equal(
      out.stderr.split("\n")[0],
      `Error: ${file}: oauth.scope: unknown field; did you mean "oauth.scopes"?`,
      show(out),
    );
    const json = expectJsonError(await h.run(["register", file, "--json"]), "invalid_provider", 2);
    assert.match(String(json.message), /did you mean "oauth\.scopes"/);
    const inspect = await h.run(["inspect", "acme"]);
    expectExit(inspect, 3, "nothing was installed");

    const { scope: _scope, ...fixed } = ACME.oauth;
    await Deno.writeTextFile(
      file,
      JSON.stringify({ ...ACME, oauth: { ...fixed, scopes: ["read"] } }),
    );
    const ok = await h.ok(["register", file]);
    assert.match(ok.stdout, /Provider acme registered/);
  }));

Deno.test("register of a file using the newer predecessor's field names warns and installs", () =>
  withHome(async (h) => {
    const file = await h.fixture(
      "acme.json",
      JSON.stringify({
        ...ACME,
        oauth: { ...ACME.oauth, scope: undefined },
        docs_url: "https://acme.test",
      }),
    );
    const out = await h.ok(["register", file]);
    assert.match(out.stderr, /Warning: .*docs_url is the predecessor's name for docs/);
    assert.match(out.stdout, /Provider acme registered/);
  }));
