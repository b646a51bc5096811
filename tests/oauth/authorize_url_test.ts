import assert from "node:assert/strict";
import { buildAuthorizationUrl } from "../../src/oauth/authorize_url.ts";

Deno.test.sanitizer?.({ ops: true, resources: true });

const BASE = {
  clientId: "my client",
  redirectUri: "http://127.0.0.1:7999/callback",
  scopes: ["repo", "read:user"],
  state: "st-ate_123",
  challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
};

Deno.test("buildAuthorizationUrl adds the code+PKCE parameters", () => {
  const url = buildAuthorizationUrl({
    ...BASE,
    authorizationUrl: "https://github.com/login/oauth/authorize",
  });
  assert.equal(
    url,
    "https://github.com/login/oauth/authorize?response_type=code&client_id=my%20client" +
      "&redirect_uri=http%3A%2F%2F127.0.0.1%3A7999%2Fcallback&scope=repo%20read%3Auser" +
      "&state=st-ate_123&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM" +
      "&code_challenge_method=S256",
  );
  const params = new URL(url).searchParams;
  assert.equal(params.get("scope"), "repo read:user");
  assert.equal(params.get("redirect_uri"), BASE.redirectUri);
});

Deno.test("buildAuthorizationUrl keeps the base URL's own query and drops its fragment", () => {
  const url = new URL(buildAuthorizationUrl({
    ...BASE,
    authorizationUrl: "https://login.example/authorize?tenant=abc&prompt=login#frag",
  }));
  assert.equal(url.hash, "");
  assert.equal(url.searchParams.get("tenant"), "abc");
  assert.equal(url.searchParams.get("prompt"), "login");
  assert.equal(url.searchParams.get("response_type"), "code");
  assert.equal([...url.searchParams.keys()][0], "tenant");
});

Deno.test("buildAuthorizationUrl: extras are added, but never replace state or PKCE", () => {
  const url = new URL(buildAuthorizationUrl({
    ...BASE,
    authorizationUrl: "https://accounts.example/o/oauth2/auth?state=evil&prompt=none",
    extraParams: {
      access_type: "offline",
      prompt: "consent",
      state: "other",
      code_challenge_method: "plain",
    },
  }));
  assert.deepEqual(url.searchParams.getAll("state"), [BASE.state]);
  assert.deepEqual(url.searchParams.getAll("code_challenge_method"), ["S256"]);
  assert.deepEqual(url.searchParams.getAll("prompt"), ["consent"]);
  assert.equal(url.searchParams.get("access_type"), "offline");
});

Deno.test("buildAuthorizationUrl leaves scope out when there are no scopes", () => {
  const url = new URL(buildAuthorizationUrl({
    ...BASE,
    scopes: [" ", ""],
    authorizationUrl: "https://as.example/authorize",
  }));
  assert.equal(url.searchParams.has("scope"), false);
});

Deno.test("buildAuthorizationUrl rejects a relative URL", () => {
  assert.throws(
    () => buildAuthorizationUrl({ ...BASE, authorizationUrl: "/authorize" }),
    TypeError,
  );
});
