/**
 * Which client authentication the token and revocation endpoints get (RFC 6749 §2.3.1,
 * RFC 7591 §2, RFC 8414 §2), decided once at login and stored with the client:
 *
 * 1. a dynamically registered client: the method the server registered it with;
 * 2. a client without a secret: `none` (client_id in the body);
 * 3. the provider definition's `oauth.token_endpoint_auth_method`;
 * 4. the server's metadata, when discovery found it: `client_secret_basic` if supported (the
 *    method every server must support), else `client_secret_post`, else `none`; a metadata
 *    document without `token_endpoint_auth_methods_supported` means `client_secret_basic`;
 * 5. otherwise `client_secret_post`, what authsome always sent (GitHub, Slack and most
 *    providers without metadata accept it).
 *
 * @module
 */
import { AuthenticationError } from "../errors.ts";
import type { OAuthClient } from "../model/connection.ts";
import { TOKEN_ENDPOINT_AUTH_METHODS, type TokenEndpointAuthMethod } from "../model/provider.ts";

/** Where the stored client record keeps the method. */
export const AUTH_METHOD_FIELD = "token_endpoint_auth_method";

function isAuthMethod(value: unknown): value is TokenEndpointAuthMethod {
  return (TOKEN_ENDPOINT_AUTH_METHODS as readonly unknown[]).includes(value);
}

/** What the choice is made from. */
export interface AuthMethodInputs {
  provider: string;
  hasSecret: boolean;
  /** The definition's `oauth.token_endpoint_auth_method`. */
  configured: TokenEndpointAuthMethod | null;
  /** A DCR client's registered method (the server's answer). */
  registered?: string | null;
  /** The server's metadata was found; its `token_endpoint_auth_methods_supported`, if any. */
  metadata?: { supported: readonly string[] | undefined } | null;
}

/** The method to authenticate with. Pure. */
export function chooseAuthMethod(inputs: AuthMethodInputs): TokenEndpointAuthMethod {
  if (inputs.registered !== undefined && inputs.registered !== null) {
    if (!isAuthMethod(inputs.registered)) {
      throw new AuthenticationError(
        `${inputs.provider} registered the client for token_endpoint_auth_method ` +
          `"${inputs.registered}", which authsome does not support ` +
          `(it supports ${TOKEN_ENDPOINT_AUTH_METHODS.join(", ")})`,
      );
    }
    return inputs.registered;
  }
  if (!inputs.hasSecret) return "none";
  if (inputs.configured) return inputs.configured;
  if (inputs.metadata) {
    const supported = inputs.metadata.supported ?? ["client_secret_basic"];
    for (const method of ["client_secret_basic", "client_secret_post", "none"] as const) {
      if (supported.includes(method)) return method;
    }
    throw new AuthenticationError(
      `${inputs.provider} supports only token_endpoint_auth_methods ${supported.join(", ")}; ` +
        `authsome supports ${TOKEN_ENDPOINT_AUTH_METHODS.join(", ")}`,
      { hint: `Set oauth.token_endpoint_auth_method in the provider definition` },
    );
  }
  return "client_secret_post";
}

/**
 * The method to ask for in a dynamic registration: the configured one, else `none` (a public
 * native client) unless the server's metadata says it does not take public clients.
 */
export function registrationAuthMethod(
  configured: TokenEndpointAuthMethod | null,
  supported: readonly string[] | undefined,
): TokenEndpointAuthMethod {
  if (configured) return configured;
  if (supported === undefined || supported.includes("none")) return "none";
  if (supported.includes("client_secret_basic")) return "client_secret_basic";
  if (supported.includes("client_secret_post")) return "client_secret_post";
  return "none";
}

/** The method stored with a client at login, or undefined (records from before). */
export function storedAuthMethod(client: OAuthClient): TokenEndpointAuthMethod | undefined {
  const stored = client.extra[AUTH_METHOD_FIELD] ??
    client.registration?.[AUTH_METHOD_FIELD];
  return isAuthMethod(stored) ? stored : undefined;
}
