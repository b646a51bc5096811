/**
 * Best-effort RFC 7009 revocation for `logout`, `revoke` and `remove`: the refresh token first
 * (revoking it ends the grant), then the access token. Short timeouts; never throws, so the
 * local delete always happens.
 *
 * @module
 */
import type { Connection } from "../model/connection.ts";
import type { ProviderDefinition } from "../model/provider.ts";
import { revokeToken } from "../oauth/revoke.ts";
import { resolveTemplate } from "../providers/registry.ts";
import { loadClient } from "./clients.ts";
import type { AuthsomeContext } from "./context.ts";
import type { RemoteOutcome, Revoker } from "./logout.ts";
import { oauthDeps } from "./refresh.ts";

/** Revokes a connection's tokens at the provider where it has a revocation endpoint. */
export const revokeRemotely: Revoker = async (
  ctx: AuthsomeContext,
  definition: ProviderDefinition,
  connection: Connection,
): Promise<RemoteOutcome> => {
  const url = definition.oauth?.revocation_url;
  if (!url || connection.authType !== "oauth2") return "not_supported";
  try {
    const client = await loadClient(ctx, definition);
    if (!client) return "failed";
    const endpoint = resolveTemplate(url, connection.baseUrl ?? definition.oauth?.base_url);
    const deps = oauthDeps(ctx);
    const tokens = [
      { token: connection.refreshToken, hint: "refresh_token" as const },
      { token: connection.accessToken, hint: "access_token" as const },
    ];
    let outcome: RemoteOutcome = "failed";
    for (const { token, hint } of tokens) {
      if (!token) continue;
      const result = await revokeToken(deps, { url: endpoint, token, tokenTypeHint: hint, client });
      if (result === "revoked") outcome = "revoked";
    }
    return outcome;
  } catch {
    return "failed";
  }
};
