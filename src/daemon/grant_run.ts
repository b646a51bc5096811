/**
 * `run --grant`: mints a grant for one child through the daemon and builds the child's
 * environment from it: the grant's proxy (`http://<name>:<grant token>@127.0.0.1:<port>`),
 * the CA bundle files, and the providers' placeholder variables. The child holds the grant
 * and nothing else; the grant is revoked when the child exits.
 *
 * @module
 */
import type { AuthsomeContext } from "../auth/context.ts";
import { registerSecretValue } from "../model/secret.ts";
import { readParentCas } from "../run/ca_bundle.ts";
import { type ChildProxyEnv, childProxyEnv } from "../run/proxy_parts.ts";
import { UsageError } from "../errors.ts";
import { mintGrant, revokeGrant, type ServedGrant, servedGrant } from "./grant_client.ts";

/** A child's grant, live until {@linkcode GrantRun.close}. */
export interface GrantRun {
  env: Record<string, string>;
  sources: string[];
  warnings: string[];
  expiresAt: string;
  /** Revokes the grant (best effort) and removes the CA files. */
  close(): Promise<void>;
}

/** Mints the grant (revoked again by `close`) and prepares the child's environment. */
export async function startGrantRun(
  ctx: AuthsomeContext,
  spec: { name: string; providers: string[]; hosts: string[]; methods: string[]; ttl: string },
  proof: string | undefined,
): Promise<GrantRun> {
  const minted = await mintGrant(ctx, spec, proof);
  registerSecretValue(minted.token);
  return await childEnvFor(ctx, minted, minted.token, true);
}

/**
 * Uses an existing grant whose token the caller holds (`AUTHSOME_GRANT_TOKEN`): no passphrase,
 * and the grant outlives the child.
 */
export async function joinGrantRun(
  ctx: AuthsomeContext,
  name: string,
  token: string,
): Promise<GrantRun> {
  registerSecretValue(token);
  const served = await servedGrant(ctx, token);
  if (served.name !== name) {
    throw new UsageError(
      `AUTHSOME_GRANT_TOKEN is the token of grant "${served.name}", not "${name}"`,
      {
        hint: `authsome run --grant ${served.name} -- <command>`,
      },
    );
  }
  return await childEnvFor(ctx, served, token, false);
}

async function childEnvFor(
  ctx: AuthsomeContext,
  minted: ServedGrant,
  token: string,
  revokeAtEnd: boolean,
): Promise<GrantRun> {
  const platform = ctx.platform;
  let child: ChildProxyEnv | null = null;
  try {
    const parentCas = await readParentCas(platform);
    child = await childProxyEnv(platform, {
      proxyUrl: `http://${minted.name}:${token}@127.0.0.1:${minted.proxy_port}`,
      caCertificatePem: minted.ca_certificate_pem,
      parentCas,
    });
    const env: Record<string, string> = {
      ...minted.placeholders,
      ...child.env,
      AUTHSOME_GRANT: minted.name,
    };
    const warnings = [
      ...minted.warnings,
      ...parentCas.unreadable.map((file) =>
        `cannot read CA certificates from ${file}; the child will not trust them`
      ),
    ];
    return {
      env,
      sources: minted.sources,
      warnings,
      expiresAt: minted.expires_at,
      async close() {
        if (revokeAtEnd) {
          await revokeGrant(ctx, minted.name).catch((error) =>
            ctx.log.debug(`grant ${minted.name} not revoked: ${(error as Error).message}`)
          );
        }
        await child?.close();
      },
    };
  } catch (error) {
    if (revokeAtEnd) await revokeGrant(ctx, minted.name).catch(() => {});
    await child?.close();
    throw error;
  }
}
