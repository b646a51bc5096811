import assert from "node:assert/strict";
import { chooseAuthMethod, registrationAuthMethod } from "../../src/auth/client_auth.ts";
import { AuthenticationError } from "../../src/errors.ts";

const base = { provider: "hub", hasSecret: true, configured: null };

Deno.test("chooseAuthMethod: a registered client keeps its method; an unsupported one is exit 4", () => {
  assert.equal(
    chooseAuthMethod({
      ...base,
      configured: "client_secret_post",
      registered: "client_secret_basic",
    }),
    "client_secret_basic",
  );
  assert.throws(
    () => chooseAuthMethod({ ...base, registered: "private_key_jwt" }),
    (e: Error) =>
      e instanceof AuthenticationError && e.exitCode === 4 &&
      /registered the client for token_endpoint_auth_method "private_key_jwt"/.test(e.message),
  );
});

Deno.test("chooseAuthMethod: no secret is none; the definition beats the metadata", () => {
  assert.equal(
    chooseAuthMethod({ ...base, hasSecret: false, configured: "client_secret_basic" }),
    "none",
  );
  assert.equal(
    chooseAuthMethod({
      ...base,
      configured: "client_secret_post",
      metadata: { supported: ["client_secret_basic"] },
    }),
    "client_secret_post",
  );
});

Deno.test("chooseAuthMethod: metadata prefers basic, then post, then none; no list means basic", () => {
  const pick = (supported: string[] | undefined) =>
    chooseAuthMethod({ ...base, metadata: { supported } });
  assert.equal(pick(["client_secret_post", "client_secret_basic"]), "client_secret_basic");
  assert.equal(pick(["private_key_jwt", "client_secret_post"]), "client_secret_post");
  assert.equal(pick(["none"]), "none");
  assert.equal(pick(undefined), "client_secret_basic");
  assert.throws(() => pick(["private_key_jwt", "tls_client_auth"]), /supports only/);
});

Deno.test("chooseAuthMethod: without metadata, client_secret_post as before", () => {
  assert.equal(chooseAuthMethod(base), "client_secret_post");
});

Deno.test("registrationAuthMethod: public unless configured or the server takes no public clients", () => {
  assert.equal(registrationAuthMethod(null, undefined), "none");
  assert.equal(registrationAuthMethod(null, ["none", "client_secret_basic"]), "none");
  assert.equal(
    registrationAuthMethod(null, ["client_secret_post", "client_secret_basic"]),
    "client_secret_basic",
  );
  assert.equal(registrationAuthMethod(null, ["client_secret_post"]), "client_secret_post");
  assert.equal(registrationAuthMethod("client_secret_post", ["none"]), "client_secret_post");
});
