import assert from "node:assert/strict";
import { Interceptor } from "../../src/run/interceptor.ts";
import type { CredentialHeaders } from "../../src/run/credential_headers.ts";
import { buildRoutes } from "../../src/run/routing.ts";
import { createCertificateAuthority, LeafCache } from "../../src/run/x509.ts";
import { Secret } from "../../src/model/secret.ts";
import { denoPlatform } from "../../src/platform/deno.ts";

const silent = { debug() {}, info() {}, warn() {}, error() {} };

Deno.test("the TLS terminator serves only the proxy's own connections (403 for anyone else)", async () => {
  for (const name of ["HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"]) {
    Deno.env.delete(name);
  }
  const ca = await createCertificateAuthority({ commonName: "t", now: new Date(), validDays: 1 });
  let asked = 0;
  const credentials = {
    header: () => {
      asked++;
      return Promise.resolve({ name: "X-Api-Key", value: new Secret("interceptor-secret") });
    },
  } as unknown as CredentialHeaders;
  const interceptor = new Interceptor(denoPlatform(), {
    leaves: new LeafCache(ca),
    table: buildRoutes([{
      provider: "p",
      connection: "default",
      hostUrl: "https://127.0.0.1:9",
      excludedUrls: [],
    }]),
    credentials,
    log: silent,
  });
  const port = await interceptor.portFor("127.0.0.1", 9);
  const client = Deno.createHttpClient({ caCerts: [ca.certificatePem] });
  try {
    // A local process that found the port speaks TLS to it directly: refused, nothing injected.
    const response = await fetch(`https://127.0.0.1:${port}/v1/anything`, { client });
    assert.equal(response.status, 403);
    await response.body?.cancel();
    assert.equal(asked, 0);
  } finally {
    client.close();
    await interceptor.close();
  }
});
