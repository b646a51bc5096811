/**
 * A local HTTPS upstream for `run` proxy end-to-end tests: `Deno.serve` on `host` with a leaf
 * certificate from its own throwaway CA, so a test hands the CA to the child's trust store.
 * `answer` builds the JSON body the upstream echoes back for a request.
 */
import { createCertificateAuthority, issueLeafCertificate } from "../../src/run/x509.ts";

export async function httpsUpstream(host: string, answer: (req: Request) => unknown) {
  const now = new Date();
  const ca = await createCertificateAuthority({ commonName: "upstream CA", now, validDays: 2 });
  const leaf = await issueLeafCertificate(ca, { hostname: host, now, validDays: 2 });
  const { promise, resolve } = Promise.withResolvers<number>();
  const server = Deno.serve({
    hostname: host,
    port: 0,
    cert: leaf.certificatePem,
    key: leaf.privateKeyPkcs8Pem,
    onListen: ({ port }) => resolve(port),
  }, (req) => Response.json(answer(req)));
  return { port: await promise, caPem: ca.certificatePem, server };
}
