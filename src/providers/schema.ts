/**
 * Strict validation of provider definitions. Custom definitions come from files anyone on the
 * machine may have written, and their URLs receive client secrets and tokens, so every known
 * field is type-checked and every endpoint must be https (loopback http is allowed so that local
 * test servers work). Failures name the origin, the field path and the problem.
 *
 * @module
 */
import { ProviderDefinitionError } from "../errors.ts";
import {
  type ApiKeyBlock,
  AUTH_TYPES,
  type AuthType,
  BASIC_AUTH_MODES,
  type ClientEnv,
  DEVICE_TOKEN_REQUESTS,
  EXPORT_FIELDS,
  type ExportField,
  type Flow,
  FLOWS,
  type OAuthBlock,
  type OAuthFlow,
  type ProviderBase,
  type ProviderDefinition,
  REDIRECT_HOSTS,
  TOKEN_ENDPOINT_AUTH_METHODS,
} from "../model/provider.ts";
import { Fields, hasControlChars, isObject, regexError, typeName } from "./fields.ts";
import { anchoredForm, backtrackingProblem, hostPatternProblem } from "./regex_safety.ts";

const NAME_PATTERN = /^[a-z0-9][a-z0-9._-]*$/;
const MAX_NAME_LENGTH = 64;
const HEADER_NAME_PATTERN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** `true` when a name can safely be a file name under `providers/` and a vault key part. */
export function isValidProviderName(name: string): boolean {
  return name.length <= MAX_NAME_LENGTH && NAME_PATTERN.test(name) && !name.includes("..");
}

function checkName(fields: Fields): string {
  const name = fields.string("name", true);
  if (!isValidProviderName(name)) {
    fields.fail(
      "name",
      `"${name}" is not a valid provider name: use lower-case letters, digits, '.', '_' and '-', ` +
        `starting with a letter or digit, at most ${MAX_NAME_LENGTH} characters, ` +
        `with no '/' or '..'`,
    );
  }
  return name;
}

/**
 * `host_url` may use `{base_url}` (the predecessor's multi-tenant definitions do): it is checked
 * with the `oauth.base_url` in place (or a placeholder host) and resolved at login.
 */
function checkHostUrl(fields: Fields, registering: boolean): string | null {
  const value = fields.string("host_url");
  if (value === null) return null;
  if (value.includes("{base_url}") && !value.startsWith("regex:")) {
    const oauth = fields.obj.oauth;
    const baseUrl = isObject(oauth) && typeof oauth.base_url === "string" ? oauth.base_url : null;
    return fields.url("host_url", true, baseUrl);
  }
  if (value.startsWith("regex:")) {
    const pattern = value.slice("regex:".length);
    if (pattern === "") fields.fail("host_url", "regex: needs a pattern after the colon");
    const problem = regexError(pattern);
    if (problem) fields.fail("host_url", problem);
    // Files installed before anchors were required still load (`run` will not route by an
    // unsafe one); `register` insists.
    const unsafe = registering ? hostPatternProblem(pattern) : backtrackingProblem(pattern);
    if (unsafe) {
      // Anchoring alone may fix it; otherwise say what else is wrong, with an example.
      const anchored = anchoredForm(pattern);
      const stillUnsafe = hostPatternProblem(anchored);
      const hint = stillUnsafe === null
        ? `In the file, write "host_url": ${JSON.stringify(`regex:${anchored}`)}`
        : 'For example: "host_url": "regex:^(?:[a-z0-9-]+\\\\.)?example\\\\.com$"';
      throw new ProviderDefinitionError(
        `${fields.origin}: ${fields.path("host_url")}: ${stillUnsafe ?? unsafe}`,
        { hint },
      );
    }
    return value;
  }
  if (value.includes("://")) return fields.plainUrl("host_url");
  let parsed: URL | null = null;
  try {
    parsed = new URL(`https://${value}`);
  } catch {
    // Reported below with the accepted forms.
  }
  if (parsed === null || parsed.host !== value.toLowerCase() || parsed.username) {
    fields.fail(
      "host_url",
      `"${value}" must be a host name like api.example.com, a URL like ` +
        "https://api.example.com/v1, or regex:<pattern>",
    );
  }
  return value;
}

function checkScopes(fields: Fields): string[] {
  const value = fields.obj.scopes;
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) fields.fail("scopes", `must be an array, got ${typeName(value)}`);
  return value.map((scope, i) => {
    if (typeof scope !== "string" || scope === "" || /\s/.test(scope)) {
      fields.fail(`scopes[${i}]`, "must be a non-empty string without spaces");
    }
    return scope;
  });
}

function checkOAuth(top: Fields, flow: OAuthFlow): OAuthBlock {
  const block = top.object("oauth");
  if (block === null) return top.fail("oauth", 'is required when auth_type is "oauth2"');
  const base_url = block.plainUrl("base_url");
  const registration_endpoint = block.url("registration_endpoint", false, base_url);
  const device_authorization_url = block.url("device_authorization_url", false, base_url);
  const supports_device_flow = block.boolean("supports_device_flow", !!device_authorization_url);
  if ((flow === "device_code" || supports_device_flow) && device_authorization_url === null) {
    block.fail(
      "device_authorization_url",
      'is required when flow is "device_code" or supports_device_flow is true',
    );
  }
  return {
    authorization_url: block.url("authorization_url", flow !== "device_code", base_url),
    token_url: block.url("token_url", true, base_url) as string,
    revocation_url: block.url("revocation_url", false, base_url),
    device_authorization_url,
    registration_endpoint,
    base_url,
    scopes: checkScopes(block),
    pkce: block.boolean("pkce", true),
    supports_device_flow,
    supports_dcr: block.boolean(
      "supports_dcr",
      flow === "dcr_pkce" || registration_endpoint !== null,
    ),
    device_token_request: block.oneOf(
      "device_token_request",
      DEVICE_TOKEN_REQUESTS,
      "oauth2_form",
    ),
    header_prefix: checkHeaderPrefix(block, block.string("header_prefix")),
    issuer: block.url("issuer", false, base_url),
    token_endpoint_auth_method: block.present("token_endpoint_auth_method")
      ? block.oneOf("token_endpoint_auth_method", TOKEN_ENDPOINT_AUTH_METHODS)
      : null,
    registration_token_env: block.envVar("registration_token_env"),
    redirect_host: block.present("redirect_host")
      ? block.oneOf("redirect_host", REDIRECT_HOSTS)
      : null,
  };
}

function checkHeaderPrefix<T extends string | null>(block: Fields, prefix: T): T {
  if (prefix !== null && hasControlChars(prefix)) {
    block.fail("header_prefix", "must not contain control characters");
  }
  return prefix;
}

function checkApiKey(top: Fields): ApiKeyBlock {
  const block = top.object("api_key");
  if (block === null) return top.fail("api_key", 'is required when auth_type is "api_key"');
  const header_name = block.string("header_name") ?? "Authorization";
  if (!HEADER_NAME_PATTERN.test(header_name)) {
    block.fail("header_name", `"${header_name}" is not a valid HTTP header name`);
  }
  const basic_auth = block.obj.basic_auth === undefined || block.obj.basic_auth === null
    ? null
    : block.oneOf("basic_auth", BASIC_AUTH_MODES);
  const header_prefix = checkHeaderPrefix(
    block,
    block.string("header_prefix") ?? (basic_auth ? "Basic" : "Bearer"),
  );
  if (basic_auth && (header_name.toLowerCase() !== "authorization" || header_prefix !== "Basic")) {
    block.fail(
      "basic_auth",
      'sends "Authorization: Basic ..."; leave header_name and header_prefix out',
    );
  }
  const key_pattern = block.string("key_pattern");
  const problem = key_pattern === null
    ? null
    : regexError(key_pattern) ?? backtrackingProblem(key_pattern);
  if (problem) block.fail("key_pattern", problem);
  return {
    header_name,
    header_prefix,
    basic_auth,
    env_var: block.envVar("env_var"),
    key_pattern,
    key_pattern_hint: block.string("key_pattern_hint"),
  };
}

function checkExport(top: Fields): Partial<Record<ExportField, string>> {
  const env = top.object("export")?.object("env");
  const names: Partial<Record<ExportField, string>> = {};
  if (!env) return names;
  for (const key of Object.keys(env.obj)) {
    if (!(EXPORT_FIELDS as readonly string[]).includes(key)) {
      env.fail(key, `unknown credential field; use ${EXPORT_FIELDS.join(", ")}`);
    }
    const name = env.envVar(key);
    if (name !== null) names[key as ExportField] = name;
  }
  return names;
}

function checkClient(top: Fields): ClientEnv {
  const client = top.object("client");
  const publicId = client?.string("client_id") ?? null;
  if (publicId !== null && (publicId.trim() === "" || hasControlChars(publicId))) {
    client!.fail("client_id", "must be a non-empty public client id");
  }
  return {
    client_id_env: client?.envVar("client_id_env") ?? null,
    client_secret_env: client?.envVar("client_secret_env") ?? null,
    ...(publicId === null ? {} : { client_id: publicId }),
  };
}

/**
 * Validates a parsed JSON provider definition and returns it normalised (defaults filled in,
 * `raw` holding a copy of the input). Throws {@linkcode ProviderDefinitionError} with a message
 * of the form `<origin>: <field path>: <problem>`. `registering` adds the rules only new
 * definitions must follow (regex host patterns anchored with `^...$`).
 */
export function validateProvider(
  raw: unknown,
  origin: string,
  options: { registering?: boolean } = {},
): ProviderDefinition {
  if (!isObject(raw)) {
    throw new ProviderDefinitionError(`${origin}: must be a JSON object, got ${typeName(raw)}`);
  }
  const top = new Fields(origin, raw);
  // Optional: the Python predecessor's definitions often leave it out; absent means 1.
  if (raw.schema_version !== undefined && raw.schema_version !== 1) {
    top.fail(
      "schema_version",
      `unsupported value ${JSON.stringify(raw.schema_version)}; this authsome reads version 1`,
    );
  }
  const name = checkName(top);
  const display_name = top.string("display_name", true);
  const auth_type: AuthType = top.oneOf("auth_type", AUTH_TYPES);
  const flow: Flow = top.oneOf("flow", FLOWS);
  if (auth_type === "api_key" && flow !== "api_key") {
    top.fail("flow", `"${flow}" cannot be used with auth_type "api_key"; use "api_key"`);
  }
  if (auth_type === "oauth2" && flow === "api_key") {
    top.fail(
      "flow",
      `"api_key" cannot be used with auth_type "oauth2"; use pkce, device_code or dcr_pkce`,
    );
  }
  const other = auth_type === "oauth2" ? "api_key" : "oauth";
  if (top.present(other)) top.fail(other, `is not allowed when auth_type is "${auth_type}"`);
  const metadata = top.object("metadata");
  const base: Omit<ProviderBase, "raw"> = {
    schema_version: 1,
    name,
    display_name,
    host_url: checkHostUrl(top, options.registering ?? false),
    export: { env: checkExport(top) },
    client: checkClient(top),
    docs: top.plainUrl("docs"),
    metadata: metadata ? { ...metadata.obj } : null,
  };
  if (auth_type === "oauth2") {
    const oauth = checkOAuth(top, flow as OAuthFlow);
    return { ...base, auth_type, flow: flow as OAuthFlow, oauth, raw: structuredClone(raw) };
  }
  const api_key = checkApiKey(top);
  return { ...base, auth_type, flow: "api_key", api_key, raw: structuredClone(raw) };
}
