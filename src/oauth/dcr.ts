/**
 * Dynamic client registration (RFC 7591) for a native public client.
 *
 * @module
 */
import { Secret } from "../model/secret.ts";
import {
  checkLoggingFailures,
  checkOAuthResponse,
  nonSecretFields,
  parseSeconds,
  sendRequest,
} from "./http.ts";
import { EndpointUnreachableError, type OAuthDeps, type TokenEndpointAuthMethod } from "./types.ts";

/** Default deadline of the registration request. */
export const DEFAULT_REGISTRATION_TIMEOUT_MS = 30_000;

const ENDPOINT = "registration endpoint";

/** What to register. */
export interface ClientRegistrationRequest {
  registrationEndpoint: string;
  /** Exact loopback redirect URIs, e.g. `http://127.0.0.1:7999/callback`. */
  redirectUris: readonly string[];
  clientName: string;
  /** Joined with spaces into `scope`; left out when empty. */
  scopes: readonly string[];
  /** `token_endpoint_auth_method`; default `none` (public native client). */
  authMethod?: TokenEndpointAuthMethod;
  /** RFC 7591 §3: an initial access token, sent as `Authorization: Bearer`. */
  initialAccessToken?: Secret;
  timeoutMs?: number;
}

/** A registered client. */
export interface RegisteredClient {
  clientId: string;
  /** Null for a public client. */
  clientSecret: Secret | null;
  /** Seconds since the epoch; 0 means never; null when the server did not say. */
  clientSecretExpiresAt: number | null;
  /** RFC 7592 management token, when the server issued one. */
  registrationAccessToken: Secret | null;
  /** The method the server registered (the requested one when it does not say). */
  authMethod: string;
  /**
   * The non-secret response fields (`client_id`, `redirect_uris`, `registration_client_uri`,
   * `client_id_issued_at`, ...): `client_secret`, `registration_access_token` and any other
   * secret-named field are left out.
   */
  registration: Record<string, unknown>;
}

/**
 * Registers a client: POSTs JSON metadata (`redirect_uris`, `token_endpoint_auth_method`,
 * `grant_types: ["authorization_code", "refresh_token"]`, `response_types: ["code"]`,
 * `application_type: "native"`, `client_name`, `scope`) and reads the 201 (or 200) answer,
 * which must carry `client_id`.
 *
 * @throws OAuthProtocolError on `invalid_redirect_uri`, `invalid_client_metadata` and any
 *   other OAuth error body.
 * @throws EndpointUnreachableError on network trouble, 5xx/429, another status without an
 *   error body (`HTTP <n> from registration endpoint`) or an answer without `client_id`.
 * @throws InterruptedError on Ctrl-C.
 */
export async function registerClient(
  deps: OAuthDeps,
  request: ClientRegistrationRequest,
): Promise<RegisteredClient> {
  const authMethod = request.authMethod ?? "none";
  const metadata: Record<string, unknown> = {
    client_name: request.clientName,
    redirect_uris: [...request.redirectUris],
    token_endpoint_auth_method: authMethod,
    grant_types: ["authorization_code", "refresh_token"],
    response_types: ["code"],
    application_type: "native",
  };
  const scope = request.scopes.map((s) => s.trim()).filter(Boolean).join(" ");
  if (scope) metadata.scope = scope;
  const headers = new Headers({ Accept: "application/json", "Content-Type": "application/json" });
  if (request.initialAccessToken) {
    headers.set("Authorization", `Bearer ${request.initialAccessToken.reveal()}`);
  }
  deps.log.debug(`POST ${ENDPOINT}`, { url: request.registrationEndpoint, metadata });
  const response = await sendRequest(deps, {
    url: request.registrationEndpoint,
    method: "POST",
    headers,
    body: JSON.stringify(metadata),
    timeoutMs: request.timeoutMs ?? DEFAULT_REGISTRATION_TIMEOUT_MS,
    followRedirects: false,
  });
  return checkLoggingFailures(deps, ENDPOINT, request.registrationEndpoint, response, (r) => {
    const record = checkOAuthResponse(r.status, r.contentType, r.text, ENDPOINT);
    const clientId = record.client_id;
    if (typeof clientId !== "string" || clientId.length === 0) {
      throw new EndpointUnreachableError(`invalid response from ${ENDPOINT}: no client_id`);
    }
    const secret = record.client_secret;
    const registrationToken = record.registration_access_token;
    const expiresAt = parseSeconds(record.client_secret_expires_at);
    const registration = nonSecretFields(record);
    deps.log.debug("client registered", { client_id: clientId });
    return {
      clientId,
      clientSecret: typeof secret === "string" && secret.length > 0 ? new Secret(secret) : null,
      clientSecretExpiresAt: expiresAt ?? null,
      registrationAccessToken: typeof registrationToken === "string" && registrationToken.length > 0
        ? new Secret(registrationToken)
        : null,
      authMethod: typeof record.token_endpoint_auth_method === "string"
        ? record.token_endpoint_auth_method
        : authMethod,
      registration,
    };
  });
}
