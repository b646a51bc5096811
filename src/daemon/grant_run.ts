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
import { SYSTEM_CA_FILES } from "../run/proxy_session.ts";
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
  const files: string[] = [];
  try {
    let systemRoots = "";
    for (const file of SYSTEM_CA_FILES) {
      const text = await platform.fs.readTextFile(file).catch(() => null);
      if (text) {
        systemRoots = text.endsWith("\n") ? text : `${text}\n`;
        break;
      }
    }
    const bundle = await platform.makeTempFile(
      "authsome-ca-",
      systemRoots + minted.ca_certificate_pem,
    );
    files.push(bundle);
    const caOnly = await platform.makeTempFile("authsome-ca-only-", minted.ca_certificate_pem);
    files.push(caOnly);
    const proxyUrl = `http://${minted.name}:${token}@127.0.0.1:${minted.proxy_port}`;
    const noProxy = [
      platform.env("NO_PROXY") ?? platform.env("no_proxy"),
      "127.0.0.1,localhost,::1",
    ]
      .filter(Boolean).join(",");
    const env: Record<string, string> = {
      ...minted.placeholders,
      HTTP_PROXY: proxyUrl,
      HTTPS_PROXY: proxyUrl,
      http_proxy: proxyUrl,
      https_proxy: proxyUrl,
      NO_PROXY: noProxy,
      no_proxy: noProxy,
      AUTHSOME_PROXY_MODE: "1",
      AUTHSOME_GRANT: minted.name,
      SSL_CERT_FILE: bundle,
      REQUESTS_CA_BUNDLE: bundle,
      CURL_CA_BUNDLE: bundle,
      GIT_SSL_CAINFO: bundle,
      DENO_CERT: bundle,
      NODE_EXTRA_CA_CERTS: caOnly,
    };
    return {
      env,
      sources: minted.sources,
      warnings: minted.warnings,
      expiresAt: minted.expires_at,
      async close() {
        if (revokeAtEnd) {
          await revokeGrant(ctx, minted.name).catch((error) =>
            ctx.log.debug(`grant ${minted.name} not revoked: ${(error as Error).message}`)
          );
        }
        for (const file of files) await platform.fs.remove(file);
      },
    };
  } catch (error) {
    if (revokeAtEnd) await revokeGrant(ctx, minted.name).catch(() => {});
    for (const file of files) await platform.fs.remove(file);
    throw error;
  }
}
