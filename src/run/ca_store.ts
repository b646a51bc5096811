/**
 * The local authsome CA for `run`'s proxy. Its private key lives in the vault (record
 * `proxy/ca`), never in a file; it is created on first use and replaced when near expiry.
 *
 * @module
 */
import type { AuthsomeContext } from "../auth/context.ts";
import {
  type CertificateAuthority,
  createCertificateAuthority,
  loadCertificateAuthority,
} from "./x509.ts";

const RECORD_ID = "proxy/ca";
const CA_VALID_DAYS = 825;
const RENEW_BEFORE_MS = 30 * 24 * 3600 * 1000;

/** The CA from the vault, created (and stored) on first use. */
export async function loadOrCreateCa(ctx: AuthsomeContext): Promise<CertificateAuthority> {
  const stored = await (await ctx.vault.read()).get(RECORD_ID);
  const now = ctx.platform.clock.now();
  if (stored && typeof stored.certificate_pem === "string") {
    const ca = await loadCertificateAuthority({
      certificatePem: stored.certificate_pem,
      privateKeyPkcs8Pem: String(stored.private_key_pem),
    });
    if (ca.notAfter.getTime() - now > RENEW_BEFORE_MS) return ca;
  }
  return await ctx.vault.update(async (tx) => {
    // Another process may have created a fresh one while we waited for the lock.
    const again = await tx.get(RECORD_ID);
    if (again && typeof again.certificate_pem === "string") {
      const ca = await loadCertificateAuthority({
        certificatePem: again.certificate_pem,
        privateKeyPkcs8Pem: String(again.private_key_pem),
      });
      if (ca.notAfter.getTime() - now > RENEW_BEFORE_MS) return ca;
    }
    const ca = await createCertificateAuthority({
      commonName: "authsome local proxy CA",
      now: new Date(now),
      validDays: CA_VALID_DAYS,
      randomBytes: (n) => ctx.platform.randomBytes(n),
    });
    tx.put(RECORD_ID, {
      certificate_pem: ca.certificatePem,
      private_key_pem: ca.privateKeyPkcs8Pem,
      fingerprint_sha256: ca.fingerprintSha256,
      created_at: new Date(now).toISOString(),
    });
    ctx.log.debug("created the local proxy CA", { fingerprint: ca.fingerprintSha256 });
    return ca;
  });
}
