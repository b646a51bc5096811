/**
 * Authorization server metadata discovery: RFC 8414, then OpenID Connect Discovery 1.0.
 *
 * For an input `https://as.example/tenant` (an issuer, or an authorization endpoint URL):
 * 1. `https://as.example/.well-known/oauth-authorization-server/tenant` (RFC 8414 §3.1:
 *    inserted between the host and the path), expected issuer `https://as.example/tenant`;
 * 2. `https://as.example/tenant/.well-known/openid-configuration` (OIDC: appended),
 *    expected issuer `https://as.example/tenant`;
 * 3. and 4. the same two at the origin, expected issuer `https://as.example` (how an
 *    authorization URL such as `https://mcp.linear.app/authorize` finds its server).
 *
 * A document is used only if its `issuer` is identical to the expected issuer (RFC 8414 §3.3;
 * OIDC Discovery §4.3). The one tolerance: an issuer with an empty path matches with or
 * without a single trailing `/` (`https://as.example` and `https://as.example/` are the same
 * URL per RFC 3986 §6.2.3). `https://as.example/tenant/` does NOT match `.../tenant`.
 * A mismatching document is skipped and named in the final error if nothing else matches.
 *
 * @module
 */
import { AuthenticationError } from "../errors.ts";
import { endpointUrlProblem } from "./endpoint_url.ts";
import { parseJsonObject } from "../model/json_object.ts";
import { checkLoggingFailures, sendRequest } from "./http.ts";
import type { OAuthDeps } from "./types.ts";

/** Default deadline of one metadata request. */
export const DEFAULT_DISCOVERY_TIMEOUT_MS = 10_000;

/** No usable metadata document was found. */
export class DiscoveryError extends AuthenticationError {
  override readonly code: string = "discovery_failed";
  override name = "DiscoveryError";
}

/** Authorization server metadata (RFC 8414 §2), validated fields typed, the rest kept. */
export interface AuthorizationServerMetadata {
  issuer: string;
  authorization_endpoint?: string;
  token_endpoint?: string;
  registration_endpoint?: string;
  revocation_endpoint?: string;
  device_authorization_endpoint?: string;
  introspection_endpoint?: string;
  userinfo_endpoint?: string;
  jwks_uri?: string;
  scopes_supported?: string[];
  response_types_supported?: string[];
  grant_types_supported?: string[];
  code_challenge_methods_supported?: string[];
  token_endpoint_auth_methods_supported?: string[];
  revocation_endpoint_auth_methods_supported?: string[];
  authorization_response_iss_parameter_supported?: boolean;
  [field: string]: unknown;
}

const URL_FIELDS = [
  "authorization_endpoint",
  "token_endpoint",
  "registration_endpoint",
  "revocation_endpoint",
  "device_authorization_endpoint",
  "introspection_endpoint",
  "userinfo_endpoint",
  "jwks_uri",
] as const;

const LIST_FIELDS = [
  "scopes_supported",
  "response_types_supported",
  "grant_types_supported",
  "code_challenge_methods_supported",
  "token_endpoint_auth_methods_supported",
  "revocation_endpoint_auth_methods_supported",
] as const;

interface Candidate {
  url: string;
  issuer: string;
}

/** The metadata URLs to try, in order, each with the issuer its document must name. */
export function discoveryCandidates(issuerOrAuthorizationUrl: string): Candidate[] {
  const input = new URL(issuerOrAuthorizationUrl);
  if (input.protocol !== "https:" && input.protocol !== "http:") {
    throw new DiscoveryError(`cannot discover metadata for a ${input.protocol} URL`);
  }
  const insecure = endpointUrlProblem(issuerOrAuthorizationUrl, "cannot discover metadata at");
  if (insecure) throw new DiscoveryError(insecure);
  const origin = input.origin;
  const path = input.pathname === "/" ? "" : input.pathname;
  const trimmed = path.replace(/\/+$/, "");
  const candidates: Candidate[] = [];
  if (trimmed) {
    const issuer = origin + path;
    candidates.push({ url: `${origin}/.well-known/oauth-authorization-server${trimmed}`, issuer });
    candidates.push({ url: `${origin}${trimmed}/.well-known/openid-configuration`, issuer });
  }
  candidates.push({ url: `${origin}/.well-known/oauth-authorization-server`, issuer: origin });
  candidates.push({ url: `${origin}/.well-known/openid-configuration`, issuer: origin });
  return candidates;
}

function issuerMatches(actual: string, expected: string): boolean {
  if (actual === expected) return true;
  try {
    const url = new URL(expected);
    const emptyPath = url.pathname === "/" && !url.search && !url.hash;
    return emptyPath && (actual === `${url.origin}/` || actual === url.origin) &&
      (expected === url.origin || expected === `${url.origin}/`);
  } catch {
    return false;
  }
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === "https:" || url.protocol === "http:";
  } catch {
    return false;
  }
}

/**
 * Checks the types of the fields authsome uses; returns a problem or null. Every endpoint must
 * obey the https-unless-loopback rule: a document naming a plain-http endpoint elsewhere (where
 * a client secret or an initial access token would go in the clear) is refused as a whole.
 */
function validate(doc: Record<string, unknown>): string | null {
  for (const field of URL_FIELDS) {
    const value = doc[field];
    if (value !== undefined && (typeof value !== "string" || !isHttpUrl(value))) {
      return `${field} is not an http(s) URL`;
    }
    const insecure = value === undefined ? null : endpointUrlProblem(value as string, field);
    if (insecure) return insecure;
  }
  for (const field of LIST_FIELDS) {
    const value = doc[field];
    if (
      value !== undefined && (!Array.isArray(value) || !value.every((v) => typeof v === "string"))
    ) {
      return `${field} is not a list of strings`;
    }
  }
  const iss = doc.authorization_response_iss_parameter_supported;
  if (iss !== undefined && typeof iss !== "boolean") {
    return "authorization_response_iss_parameter_supported is not a boolean";
  }
  return null;
}

/** A 2xx metadata body, accepted or rejected with a DiscoveryError naming the URL. */
function checkMetadata(candidate: Candidate, text: string): AuthorizationServerMetadata {
  const doc = parseJsonObject(text);
  if (!doc) throw new DiscoveryError(`${candidate.url}: not a JSON object`);
  if (typeof doc.issuer !== "string") throw new DiscoveryError(`${candidate.url}: no issuer`);
  if (!issuerMatches(doc.issuer, candidate.issuer)) {
    throw new DiscoveryError(
      `${candidate.url}: issuer ${JSON.stringify(doc.issuer)} does not match ` +
        `${JSON.stringify(candidate.issuer)}`,
    );
  }
  const problem = validate(doc);
  if (problem) throw new DiscoveryError(`${candidate.url}: ${problem}`);
  return doc as AuthorizationServerMetadata;
}

/**
 * Finds and validates the authorization server metadata for an issuer or an authorization
 * endpoint URL.
 *
 * @throws DiscoveryError when no candidate gives a valid document with the expected issuer
 *   (the message names issuer mismatches and malformed documents).
 * @throws EndpointUnreachableError when the host cannot be reached at all (DNS, refused,
 *   timeout): the other candidates are on the same host.
 * @throws InterruptedError on Ctrl-C.
 */
export async function discoverServerMetadata(
  deps: OAuthDeps,
  issuerOrAuthorizationUrl: string,
  options: { timeoutMs?: number } = {},
): Promise<AuthorizationServerMetadata> {
  let candidates: Candidate[];
  try {
    candidates = discoveryCandidates(issuerOrAuthorizationUrl);
  } catch (error) {
    if (error instanceof DiscoveryError) throw error;
    throw new DiscoveryError(`cannot discover metadata: not a URL`);
  }
  const problems: string[] = [];
  for (const candidate of candidates) {
    deps.log.debug("GET authorization server metadata", { url: candidate.url });
    const response = await sendRequest(deps, {
      url: candidate.url,
      method: "GET",
      headers: new Headers({ Accept: "application/json" }),
      timeoutMs: options.timeoutMs ?? DEFAULT_DISCOVERY_TIMEOUT_MS,
      followRedirects: true,
    });
    if (response.status < 200 || response.status > 299) {
      deps.log.debug("no metadata here", { url: candidate.url, status: response.status });
      continue;
    }
    let metadata: AuthorizationServerMetadata;
    try {
      metadata = checkLoggingFailures(
        deps,
        "metadata",
        candidate.url,
        response,
        (r) => checkMetadata(candidate, r.text),
      );
    } catch (error) {
      if (!(error instanceof DiscoveryError)) throw error;
      problems.push(error.message);
      continue;
    }
    deps.log.debug("authorization server metadata found", {
      url: candidate.url,
      issuer: metadata.issuer,
    });
    return metadata;
  }
  const detail = problems.length > 0 ? `: ${problems.join("; ")}` : "";
  throw new DiscoveryError(
    `no authorization server metadata found for ${issuerOrAuthorizationUrl}${detail}`,
  );
}
