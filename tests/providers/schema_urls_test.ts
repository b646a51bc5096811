import assert from "node:assert/strict";
import { validateProvider } from "../../src/providers/schema.ts";
import { oauth, ORIGIN, rejects } from "./fixtures.ts";

Deno.test("schema: endpoints must be https unless on a loopback host", () => {
  const rule =
    /^must be an https URL \(http is allowed only for 127\.0\.0\.1, localhost and \[::1\]\)$/;
  rejects(oauth({}, { token_url: "http://auth.acme.test/token" }), "oauth.token_url", rule);
  rejects(oauth({}, { revocation_url: "ftp://acme.test/r" }), "oauth.revocation_url", rule);
  rejects(oauth({}, { token_url: "http://127.0.0.2/token" }), "oauth.token_url", rule);
  rejects(oauth({ docs: "http://acme.test" }), "docs", rule);
  rejects(oauth({}, { token_url: "/token" }), "oauth.token_url", /not a valid absolute URL/);
  rejects(oauth({}, { token_url: "https://u:p@acme.test/t" }), "oauth.token_url", /credentials/);
  for (const host of ["127.0.0.1:4455", "localhost:8080", "[::1]:9000", "localhost"]) {
    const d = validateProvider(
      oauth({}, {
        authorization_url: `http://${host}/auth`,
        token_url: `http://${host}/token`,
        device_authorization_url: `http://${host}/device`,
      }),
      ORIGIN,
    );
    assert.equal(d.oauth?.token_url, `http://${host}/token`);
    assert.equal(d.oauth?.supports_device_flow, true, "defaults to whether a device URL is set");
  }
});

Deno.test("schema: {base_url} templates are checked against base_url or a placeholder", () => {
  const templated = { token_url: "{base_url}/token", authorization_url: "{base_url}/authorize" };
  assert.ok(validateProvider(oauth({}, templated), ORIGIN));
  assert.ok(
    validateProvider(oauth({}, { ...templated, base_url: "https://ghe.acme.test/" }), ORIGIN),
  );
  assert.ok(
    validateProvider(oauth({}, { ...templated, base_url: "http://localhost:3000" }), ORIGIN),
  );
  rejects(
    oauth({}, { ...templated, base_url: "http://ghe.acme.test" }),
    "oauth.base_url",
    /must be an https URL/,
  );
  rejects(
    oauth({}, { token_url: "{tenant}/token" }),
    "oauth.token_url",
    /unknown placeholder "\{tenant\}"/,
  );
  rejects(oauth({}, { base_url: "{base_url}" }), "oauth.base_url", /must not contain placeholders/);
});

Deno.test("schema: host_url forms", () => {
  for (
    const host_url of [
      "api.acme.test",
      "localhost:8080",
      "https://api.acme.test/v1",
      "regex:^[a-z0-9-]+\\.acme\\.test$",
    ]
  ) {
    assert.equal(validateProvider(oauth({ host_url }), ORIGIN).host_url, host_url);
  }
  rejects(oauth({ host_url: "regex:([a-z" }), "host_url", /invalid regular expression/);
  rejects(oauth({ host_url: "regex:" }), "host_url", /needs a pattern/);
  rejects(oauth({ host_url: "api.acme.test/v1" }), "host_url", /must be a host name like/);
  rejects(oauth({ host_url: "api acme" }), "host_url", /must be a host name like/);
  rejects(oauth({ host_url: "http://api.acme.test" }), "host_url", /must be an https URL/);
  rejects(oauth({ host_url: 5 }), "host_url", /must be a string/);
});

Deno.test("schema: device code rules", () => {
  rejects(
    oauth({ flow: "device_code" }),
    "oauth.device_authorization_url",
    /required when flow is "device_code"/,
  );
  rejects(oauth({}, { supports_device_flow: true }), "oauth.device_authorization_url", /required/);
  const d = validateProvider(
    oauth({ flow: "device_code" }, {
      authorization_url: undefined,
      device_authorization_url: "https://auth.acme.test/device",
      device_token_request: "json",
    }),
    ORIGIN,
  );
  assert.equal(d.oauth?.authorization_url, null);
  assert.equal(d.oauth?.device_token_request, "json");
  rejects(
    oauth({}, { device_token_request: "xml" }),
    "oauth.device_token_request",
    /must be one of "oauth2_form", "json"/,
  );
  const dcr = validateProvider(oauth({ flow: "dcr_pkce" }), ORIGIN);
  assert.equal(dcr.oauth?.supports_dcr, true);
});
