/**
 * The HTTP header a credential is sent in. OAuth2: `Authorization: Bearer <token>` whatever the
 * stored `token_type`, or the provider's fixed `oauth.header_prefix` (`""` sends the raw token).
 * API keys: the provider's header name and prefix, or HTTP Basic authentication (RFC 7617) with
 * the key as user name or password when the provider says `basic_auth`.
 *
 * @module
 */
import { CredentialMissingError } from "../errors.ts";
import type { Connection } from "../model/connection.ts";
import type { ProviderDefinition } from "../model/provider.ts";
import { Secret } from "../model/secret.ts";
import { loginCommand, loginFlagsFor } from "./connections.ts";

/** A header ready to send. */
export interface AuthHeader {
  /** The header name, such as `Authorization`. */
  name: string;
  /** The full header value, prefix included. */
  value: Secret;
}

/** The header that carries this connection's credential. */
export function authHeader(definition: ProviderDefinition, connection: Connection): AuthHeader {
  if (connection.authType === "api_key") {
    if (!connection.apiKey) throw noCredentialError(connection);
    const block = definition.api_key;
    const key = connection.apiKey.reveal();
    if (block?.basic_auth) {
      const pair = block.basic_auth === "key_as_username" ? `${key}:` : `:${key}`;
      const encoded = new TextEncoder().encode(pair).toBase64();
      return { name: "Authorization", value: new Secret(`Basic ${encoded}`) };
    }
    const name = block?.header_name ?? "Authorization";
    const prefix = block?.header_prefix ?? "Bearer";
    return { name, value: new Secret(prefix ? `${prefix} ${key}` : key) };
  }
  if (!connection.accessToken) throw noCredentialError(connection);
  const token = connection.accessToken.reveal();
  const fixed = definition.oauth?.header_prefix ?? null;
  if (fixed !== null) {
    return { name: "Authorization", value: new Secret(fixed ? `${fixed} ${token}` : token) };
  }
  // Always Bearer (RFC 6750): the token_type is never used as the scheme. Login and refresh
  // refuse the types that are not bearer tokens (DPoP, N_A, ...).
  return { name: "Authorization", value: new Secret(`Bearer ${token}`) };
}

/** The error for a connection that holds no token or key: only a new login helps. */
export function noCredentialError(connection: Connection): CredentialMissingError {
  return new CredentialMissingError(
    `connection "${connection.connectionName}" of ${connection.provider} holds no credential`,
    { hint: loginCommand(connection.provider, { ...loginFlagsFor(connection), force: true }) },
  );
}
