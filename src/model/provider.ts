/**
 * Provider definitions (docs/contract.md §8, spec §3.1), as they look after validation: every optional
 * field is present (null or its default), so callers never re-derive defaults. The JSON the
 * definition came from is kept in `raw`, unknown fields included, for `inspect` and round trips.
 *
 * @module
 */

/** The only definition schema this build understands. */
export const PROVIDER_SCHEMA_VERSION = 1;

/** How the credential is obtained. */
export type AuthType = "oauth2" | "api_key";

/** The login flows an `oauth2` provider can use. */
export type OAuthFlow = "pkce" | "device_code" | "dcr_pkce";

/** Every login flow. `api_key` is the only flow of an `api_key` provider. */
export type Flow = OAuthFlow | "api_key";

/** Body encoding of the device-code token poll: RFC 8628 form, or JSON (Postiz). */
export type DeviceTokenRequest = "oauth2_form" | "json";

/** The credential fields a definition can name an environment variable for. */
export type ExportField = "access_token" | "refresh_token" | "api_key";

/** All auth types, flows and export fields, for validation and help text. */
export const AUTH_TYPES: readonly AuthType[] = ["oauth2", "api_key"];
export const FLOWS: readonly Flow[] = ["pkce", "device_code", "dcr_pkce", "api_key"];
export const OAUTH_FLOWS: readonly OAuthFlow[] = ["pkce", "device_code", "dcr_pkce"];
export const DEVICE_TOKEN_REQUESTS: readonly DeviceTokenRequest[] = ["oauth2_form", "json"];

/**
 * How the OAuth client authenticates to the token and revocation endpoints (RFC 6749 §2.3.1,
 * RFC 7591 §2): HTTP Basic with the form-encoded id and secret, both in the body, or the id
 * alone (a public client).
 */
export type TokenEndpointAuthMethod = "client_secret_basic" | "client_secret_post" | "none";

/** Every {@linkcode TokenEndpointAuthMethod}. */
export const TOKEN_ENDPOINT_AUTH_METHODS: readonly TokenEndpointAuthMethod[] = [
  "client_secret_basic",
  "client_secret_post",
  "none",
];

/** The loopback address the login's redirect listener binds (RFC 8252 §7.3). */
export type RedirectHost = "127.0.0.1" | "[::1]";

/** Every {@linkcode RedirectHost}. */
export const REDIRECT_HOSTS: readonly RedirectHost[] = ["127.0.0.1", "[::1]"];

/**
 * The hosts (as `URL.hostname` spells them) on which an endpoint may use plain http, so that
 * local test servers work: a provider definition's URLs and every OAuth endpoint obey this.
 */
export const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(["127.0.0.1", "localhost", "[::1]"]);

/**
 * HTTP Basic authentication with the key (RFC 7617): `key_as_username` sends
 * `Basic base64(key + ":")`, `key_as_password` sends `Basic base64(":" + key)`.
 */
export type BasicAuthMode = "key_as_username" | "key_as_password";

/** Every {@linkcode BasicAuthMode}. */
export const BASIC_AUTH_MODES: readonly BasicAuthMode[] = ["key_as_username", "key_as_password"];
export const EXPORT_FIELDS: readonly ExportField[] = ["access_token", "refresh_token", "api_key"];

/**
 * The `oauth` block. URLs may contain `{base_url}`; resolve them with `resolveTemplate` from
 * `src/providers/registry.ts` once the effective base URL is known.
 */
export interface OAuthBlock {
  /** Null only for a `device_code`-only provider that has no browser endpoint. */
  authorization_url: string | null;
  /** Token endpoint: code exchange, refresh and device-code polling. */
  token_url: string;
  /** RFC 7009 revocation endpoint, or null when the provider has none. */
  revocation_url: string | null;
  /** RFC 8628 device authorization endpoint, or null when the device flow is unavailable. */
  device_authorization_url: string | null;
  /** RFC 7591 endpoint; null means discover it (RFC 8414) when the flow is `dcr_pkce`. */
  registration_endpoint: string | null;
  /** Default for `{base_url}`; `--base-url` and stored client/connection values win. */
  base_url: string | null;
  /** Scopes requested at login by default. */
  scopes: string[];
  /** Informational: S256 PKCE is always sent. Default true. */
  pkce: boolean;
  /** Default: whether `device_authorization_url` is set. */
  supports_device_flow: boolean;
  /** Default: whether the flow is `dcr_pkce` or `registration_endpoint` is set. */
  supports_dcr: boolean;
  /** Default: `oauth2_form`. */
  device_token_request: DeviceTokenRequest;
  /**
   * What precedes the access token in `Authorization`; `""` sends the raw token. Null (the
   * default): `Bearer`, or the `token_type` the server named when it is not `bearer`.
   */
  header_prefix: string | null;
  /**
   * The authorization server's issuer identifier (RFC 8414), e.g. `https://as.example/tenant`:
   * metadata discovery starts there and the login's callback `iss` (RFC 9207) must equal it.
   * Null: discovery tries the authorization URL's origin.
   */
  issuer: string | null;
  /**
   * Client authentication at the token and revocation endpoints. Null (the default): the
   * method a dynamically registered client was given, else the server's advertised
   * `token_endpoint_auth_methods_supported`, else `client_secret_post`.
   */
  token_endpoint_auth_method: "client_secret_basic" | "client_secret_post" | "none" | null;
  /**
   * Environment variable holding an RFC 7591 §3 initial access token for dynamic client
   * registration (asked for at a hidden prompt when unset); null: none is sent.
   */
  registration_token_env: string | null;
  /**
   * The loopback address of the redirect URI. Null (the default): `127.0.0.1`, or `[::1]`
   * when this machine has no IPv4 loopback.
   */
  redirect_host: "127.0.0.1" | "[::1]" | null;
}

/** The `api_key` block. */
export interface ApiKeyBlock {
  /** Default `Authorization`. */
  header_name: string;
  /** Default `Bearer`; `""` sends the raw key. `Basic` when `basic_auth` is set. */
  header_prefix: string;
  /** Send the key with HTTP Basic authentication instead of after `header_prefix`; or null. */
  basic_auth: BasicAuthMode | null;
  /** Environment variable `login` reads the key from, when set. */
  env_var: string | null;
  /** Full-match pattern a pasted key must satisfy (JavaScript RegExp syntax). */
  key_pattern: string | null;
  /** Shown when the key does not match `key_pattern`. */
  key_pattern_hint: string | null;
}

/** Names of the environment variables holding the OAuth client credentials. */
export interface ClientEnv {
  /** Environment variable holding the client ID, or null. */
  client_id_env: string | null;
  /** Environment variable holding the client secret, or null. */
  client_secret_env: string | null;
  /**
   * A public client id the provider publishes for native apps (no secret), used when no client
   * is stored or set in the environment; absent when the definition has none.
   */
  client_id?: string;
}

/** Fields common to both kinds of definition. */
export interface ProviderBase {
  /** Version of the definition schema; always {@linkcode PROVIDER_SCHEMA_VERSION}. */
  schema_version: typeof PROVIDER_SCHEMA_VERSION;
  /** Unique provider name, used on the command line (`openai`). */
  name: string;
  /** Human-readable name shown in output. */
  display_name: string;
  /**
   * The API host the credential is for: a bare host (`api.github.com`), a URL with a path
   * prefix (`https://api.example.com/v1`), or `regex:<pattern>`. Null: not routable by `run`.
   */
  host_url: string | null;
  /** Only the fields present in the definition; see `envVarNames` for the fallbacks. */
  export: { env: Partial<Record<ExportField, string>> };
  /** Where the OAuth client credentials come from. */
  client: ClientEnv;
  /** Where a person gets the credential or reads about it. */
  docs: string | null;
  /** Free-form extra data from the definition, or null. */
  metadata: Record<string, unknown> | null;
  /** The definition as parsed from JSON, unknown fields included. */
  raw: Readonly<Record<string, unknown>>;
}

/** An OAuth 2.0 provider. */
export interface OAuthProviderDefinition extends ProviderBase {
  /** Discriminant: an OAuth 2.0 provider. */
  auth_type: "oauth2";
  /** The default login flow. */
  flow: OAuthFlow;
  /** OAuth endpoints and options. */
  oauth: OAuthBlock;
  /** Absent on OAuth providers. */
  api_key?: undefined;
}

/** An API-key provider. */
export interface ApiKeyProviderDefinition extends ProviderBase {
  /** Discriminant: an API-key provider. */
  auth_type: "api_key";
  /** Always `api_key`. */
  flow: "api_key";
  /** How the key is read, checked and sent. */
  api_key: ApiKeyBlock;
  /** Absent on API-key providers. */
  oauth?: undefined;
}

/** A validated provider definition; narrow on `auth_type`. */
export type ProviderDefinition = OAuthProviderDefinition | ApiKeyProviderDefinition;

/** Where a definition in the registry came from. */
export type ProviderSource = "bundled" | "custom";
