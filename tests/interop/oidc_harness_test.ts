/**
 * Proves the interop harness: a real oidc-provider (tests/_fakes/oidc.ts) driven by the headless
 * user agent (tests/_fakes/user_agent.ts) through every flow authsome needs. Skipped when
 * `npm ci --prefix tests/interop` has not been run.
 */
import assert from "node:assert/strict";
import {
  OIDC_CLIENT_ID,
  oidcAvailable,
  type OidcProvider,
  startOidcProvider,
} from "../_fakes/oidc.ts";
import { clearProxyEnv } from "../_fakes/oauth_server.ts";
import { completeAuthorization, confirmDeviceCode } from "../_fakes/user_agent.ts";

clearProxyEnv();

const ignore = !oidcAvailable();
const DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code";

interface Answer {
  status: number;
  // deno-lint-ignore no-explicit-any
  json: any;
  text: string;
}

async function post(
  url: string,
  params: Record<string, string>,
): Promise<Answer> {
  const res = await fetch(url, {
    method: "POST",
    headers: { accept: "application/json" },
    body: new URLSearchParams(params),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, json, text };
}

function base64url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(
    /\//g,
    "_",
  )
    .replace(/=+$/, "");
}

async function pkce(): Promise<{ verifier: string; challenge: string }> {
  const verifier = base64url(crypto.getRandomValues(new Uint8Array(32)));
  const digest = await crypto.subtle.digest(
    "SHA-256",
    new TextEncoder().encode(verifier),
  );
  return { verifier, challenge: base64url(new Uint8Array(digest)) };
}

/** A one-shot loopback callback listener, like the CLI's. */
function callbackListener() {
  const received: URL[] = [];
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    onListen: () => {},
  }, (req) => {
    received.push(new URL(req.url));
    return new Response("You can close this window.", {
      headers: { "referrer-policy": "no-referrer" },
    });
  });
  return {
    redirectUri: `http://127.0.0.1:${server.addr.port}/callback`,
    received,
    close: () => server.shutdown(),
  };
}

/** PKCE login through the user agent; returns the token response and the callback URL. */
async function login(op: OidcProvider, scope = "openid") {
  const listener = callbackListener();
  try {
    const { verifier, challenge } = await pkce();
    const state = base64url(crypto.getRandomValues(new Uint8Array(32)));
    const authorizationUrl = `${op.issuer}/auth?${new URLSearchParams({
      client_id: OIDC_CLIENT_ID,
      response_type: "code",
      redirect_uri: listener.redirectUri,
      scope,
      state,
      code_challenge: challenge,
      code_challenge_method: "S256",
    })}`;
    const final = new URL(
      await completeAuthorization(authorizationUrl, { login: "alice" }),
    );
    assert.equal(
      listener.received.length,
      1,
      "the callback listener got the redirect",
    );
    assert.equal(listener.received[0].href, final.href);
    assert.equal(final.searchParams.get("state"), state);
    assert.equal(final.searchParams.get("iss"), op.issuer);
    const code = final.searchParams.get("code");
    assert.ok(code);
    const tokens = await post(`${op.issuer}/token`, {
      grant_type: "authorization_code",
      code,
      redirect_uri: listener.redirectUri,
      client_id: OIDC_CLIENT_ID,
      code_verifier: verifier,
    });
    assert.equal(tokens.status, 200, tokens.text);
    return tokens.json;
  } finally {
    await listener.close();
  }
}

function refresh(op: OidcProvider, refreshToken: string) {
  return post(`${op.issuer}/token`, {
    grant_type: "refresh_token",
    refresh_token: refreshToken,
    client_id: OIDC_CLIENT_ID,
  });
}

Deno.test({
  name: "oidc-provider: discovery documents with the exact issuer",
  ignore,
  async fn() {
    await using op = await startOidcProvider();
    assert.match(op.issuer, /^http:\/\/127\.0\.0\.1:\d+$/);
    for (const path of ["openid-configuration", "oauth-authorization-server"]) {
      const res = await fetch(`${op.issuer}/.well-known/${path}`);
      const doc = await res.json();
      assert.equal(res.status, 200);
      assert.equal(doc.issuer, op.issuer);
      assert.equal(doc.token_endpoint, `${op.issuer}/token`);
      assert.equal(doc.registration_endpoint, `${op.issuer}/reg`);
      assert.equal(
        doc.device_authorization_endpoint,
        `${op.issuer}/device/auth`,
      );
      assert.equal(doc.revocation_endpoint, `${op.issuer}/token/revocation`);
      assert.deepEqual(doc.code_challenge_methods_supported, ["S256"]);
      assert.equal(doc.authorization_response_iss_parameter_supported, true);
    }
  },
});

Deno.test({
  name: "oidc-provider: scripted PKCE login, refresh rotation, replay revokes the grant",
  ignore,
  async fn() {
    await using op = await startOidcProvider({ accessTtl: 60 });
    const tokens = await login(op);
    assert.ok(tokens.access_token);
    assert.ok(
      tokens.refresh_token,
      "a refresh token without offline_access (issueRefreshToken)",
    );
    assert.equal(tokens.expires_in, 60);
    assert.equal(tokens.token_type, "Bearer");

    const r1 = await refresh(op, tokens.refresh_token);
    assert.equal(r1.status, 200, r1.text);
    assert.ok(r1.json.refresh_token);
    assert.notEqual(r1.json.refresh_token, tokens.refresh_token, "rotated");
    assert.notEqual(r1.json.access_token, tokens.access_token);

    const replay = await refresh(op, tokens.refresh_token);
    assert.deepEqual([replay.status, replay.json.error], [
      400,
      "invalid_grant",
    ]);
    // Reuse revokes the whole grant: the newest refresh token is dead too.
    const newest = await refresh(op, r1.json.refresh_token);
    assert.deepEqual([newest.status, newest.json.error], [
      400,
      "invalid_grant",
    ]);
  },
});

Deno.test({
  name: "oidc-provider: concurrent refreshes of one token => one 200, the grant revoked",
  ignore,
  async fn() {
    await using op = await startOidcProvider();
    const tokens = await login(op, "openid offline_access");
    const results = await Promise.all(
      [1, 2, 3].map(() => refresh(op, tokens.refresh_token)),
    );
    const ok = results.filter((r) => r.status === 200);
    assert.equal(ok.length, 1);
    for (const r of results.filter((r) => r.status !== 200)) {
      assert.equal(r.json.error, "invalid_grant");
    }
    assert.equal(
      (await refresh(op, ok[0].json.refresh_token)).json.error,
      "invalid_grant",
    );
  },
});

Deno.test({
  name: "oidc-provider: the user agent can deny; the redirect carries access_denied",
  ignore,
  async fn() {
    await using op = await startOidcProvider();
    const { challenge } = await pkce();
    const url = `${op.issuer}/auth?${new URLSearchParams({
      client_id: OIDC_CLIENT_ID,
      response_type: "code",
      redirect_uri: "http://127.0.0.1:9/callback",
      scope: "openid",
      state: "st",
      code_challenge: challenge,
      code_challenge_method: "S256",
    })}`;
    const final = new URL(
      await completeAuthorization(url, { deny: true, followCallback: false }),
    );
    assert.equal(final.searchParams.get("error"), "access_denied");
    assert.equal(final.searchParams.get("state"), "st");
  },
});

Deno.test({
  name: "oidc-provider: device flow confirmed by the user agent",
  ignore,
  async fn() {
    await using op = await startOidcProvider();
    const d = await post(`${op.issuer}/device/auth`, {
      client_id: OIDC_CLIENT_ID,
      scope: "openid offline_access",
    });
    assert.equal(d.status, 200, d.text);
    assert.ok(
      d.json.device_code && d.json.user_code &&
        d.json.verification_uri_complete,
    );
    const poll = () =>
      post(`${op.issuer}/token`, {
        grant_type: DEVICE_GRANT,
        device_code: d.json.device_code,
        client_id: OIDC_CLIENT_ID,
      });
    assert.equal((await poll()).json.error, "authorization_pending");
    const page = await confirmDeviceCode(
      d.json.verification_uri,
      d.json.user_code,
    );
    assert.match(page, /Sign-in Success/);
    const tokens = await poll();
    assert.equal(tokens.status, 200, tokens.text);
    assert.ok(tokens.json.access_token && tokens.json.refresh_token);
    assert.equal((await refresh(op, tokens.json.refresh_token)).status, 200);
  },
});

Deno.test({
  name: "oidc-provider: open dynamic client registration, then a login with that client",
  ignore,
  async fn() {
    await using op = await startOidcProvider();
    const res = await fetch(`${op.issuer}/reg`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        accept: "application/json",
      },
      body: JSON.stringify({
        client_name: "authsome",
        application_type: "native",
        redirect_uris: ["http://127.0.0.1/callback"],
        token_endpoint_auth_method: "none",
        grant_types: ["authorization_code", "refresh_token"],
        response_types: ["code"],
      }),
    });
    const client = await res.json();
    assert.equal(res.status, 201);
    assert.ok(client.client_id);
    assert.equal(client.client_secret, undefined);
    assert.ok(client.registration_access_token);

    const listener = callbackListener();
    try {
      const { verifier, challenge } = await pkce();
      const final = new URL(
        await completeAuthorization(
          `${op.issuer}/auth?${new URLSearchParams({
            client_id: client.client_id,
            response_type: "code",
            redirect_uri: listener.redirectUri,
            scope: "openid",
            state: "s",
            code_challenge: challenge,
            code_challenge_method: "S256",
          })}`,
        ),
      );
      const tokens = await post(`${op.issuer}/token`, {
        grant_type: "authorization_code",
        code: final.searchParams.get("code")!,
        redirect_uri: listener.redirectUri,
        client_id: client.client_id,
        code_verifier: verifier,
      });
      assert.equal(tokens.status, 200, tokens.text);
      assert.ok(tokens.json.refresh_token);
    } finally {
      await listener.close();
    }
  },
});

Deno.test({
  name: "oidc-provider: revoking the refresh token (RFC 7009) kills the grant",
  ignore,
  async fn() {
    await using op = await startOidcProvider();
    const tokens = await login(op);
    const unknown = await post(`${op.issuer}/token/revocation`, {
      token: "not-a-token",
      client_id: OIDC_CLIENT_ID,
    });
    assert.equal(unknown.status, 200);
    const revoked = await post(`${op.issuer}/token/revocation`, {
      token: tokens.refresh_token,
      token_type_hint: "refresh_token",
      client_id: OIDC_CLIENT_ID,
    });
    assert.equal(revoked.status, 200, revoked.text);
    const after = await refresh(op, tokens.refresh_token);
    assert.deepEqual([after.status, after.json.error], [400, "invalid_grant"]);
  },
});
