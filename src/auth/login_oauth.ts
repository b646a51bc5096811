/**
 * OAuth2 login: authorization code + PKCE (loopback redirect), device authorization, and
 * dynamic client registration + PKCE. Nothing is written to the vault until the flow has
 * succeeded, so a failure or Ctrl-C at any point leaves the vault as it was.
 *
 * @module
 */
import { AuthenticationError, UsageError } from "../errors.ts";
import type { Connection, OAuthClient } from "../model/connection.ts";
import { rfc3339 } from "../model/timestamp.ts";
import type { OAuthFlow, OAuthProviderDefinition } from "../model/provider.ts";
import { buildAuthorizationUrl } from "../oauth/authorize_url.ts";
import { startCallbackListener } from "../oauth/callback_server.ts";
import { pollForDeviceToken, startDeviceAuthorization } from "../oauth/device_code.ts";
import { endpointUrlProblem } from "../oauth/endpoint_url.ts";
import { createPkcePair, createState } from "../oauth/pkce.ts";
import { exchangeAuthorizationCode } from "../oauth/token_client.ts";
import { type ClientCredentials, OAuthProtocolError, type TokenSet } from "../oauth/types.ts";
import { resolveTemplate } from "../providers/registry.ts";
import { storedAuthMethod } from "./client_auth.ts";
import { clientFromEnv, findClient, saveClient } from "./clients.ts";
import type { AuthsomeContext } from "./context.ts";
import { saveConnection } from "./connections.ts";
import type { LoginResult, SecretCollector } from "./login_api_key.ts";
import { auditedLogin } from "./login_audit.ts";
import { registerDynamicClient } from "./login_dcr.ts";
import { type ServerInfo, serverMetadata, withAuthMethod } from "./login_server.ts";
import { findLoginTarget, type LoginTarget, reauthenticationReason } from "./login_target.ts";
import { oauthDeps } from "./refresh.ts";
import { ensureConfig } from "./setup.ts";

/** How long the loopback listener waits for the browser (RFC 8252 flow). */
const CALLBACK_TIMEOUT_MS = 5 * 60_000;

/** Options of an OAuth login. */
export interface OAuthLoginOptions {
  connection?: string;
  force: boolean;
  /** Where the login goes, if the caller already read it (saves a vault read). */
  target?: LoginTarget;
  flow: OAuthFlow;
  scopes?: string[];
  baseUrl?: string;
  /** Loopback port for the redirect; 0 picks a free one. */
  port: number;
  signal?: AbortSignal;
}

/** What the login needs from the person at the terminal. */
export interface OAuthLoginUi {
  /** Asks for the OAuth client id (not secret); rejects when nobody can answer. */
  askClientId(provider: string, displayName: string, redirectUri: string): Promise<string>;
  /** Collects the client secret; an empty secret means a public client. */
  collectSecret: SecretCollector;
  /** Shows (and opens) the authorization URL. */
  showAuthorizationUrl(url: string): Promise<void>;
  /** Shows the device code and where to enter it. */
  showDeviceCode(info: {
    userCode: string;
    verificationUri: string;
    verificationUriComplete: string | null;
    expiresIn: number;
  }): Promise<void>;
}

/** Runs an OAuth2 login and stores the connection (and the client). */
export async function loginWithOAuth(
  ctx: AuthsomeContext,
  definition: OAuthProviderDefinition,
  options: OAuthLoginOptions,
  ui: OAuthLoginUi,
): Promise<LoginResult> {
  const provider = definition.name;
  const { snapshot, name, existing } = options.target ??
    await findLoginTarget(ctx, provider, options.connection);
  const keep = existing && !options.force && reauthenticationReason(existing, {
        scopes: options.scopes,
        baseUrl: options.baseUrl,
        defaultBaseUrl: definition.oauth.base_url,
        now: ctx.platform.clock.now(),
      }) === null;
  if (keep) {
    return { status: "already_connected", provider, connection: name, recordStatus: "connected" };
  }
  const baseUrl = (options.baseUrl ?? existing?.baseUrl ?? definition.oauth.base_url)
    ?.replace(/\/+$/, "") ?? null;
  checkBaseUrl(definition, baseUrl, options.baseUrl !== undefined);
  const scopes = options.scopes ?? definition.oauth.scopes;
  const storedClient = await findClient(snapshot, ctx.profile, provider);
  await auditedLogin(ctx, { provider, connection: name, flow: options.flow }, async () => {
    const { tokens, client } = await runFlow(ctx, definition, {
      ...options,
      baseUrl,
      scopes,
      storedClient,
    }, ui);
    const now = ctx.platform.clock.now();
    const connection: Connection = {
      profile: ctx.profile,
      provider,
      connectionName: name,
      authType: "oauth2",
      status: "connected",
      accessToken: tokens.accessToken,
      refreshToken: tokens.refreshToken,
      tokenType: tokens.tokenType,
      scopes: tokens.scope ? tokens.scope.split(" ").filter(Boolean) : scopes,
      expiresAt: tokens.expiresIn === null ? null : rfc3339(now + tokens.expiresIn * 1000),
      obtainedAt: rfc3339(now),
      apiKey: null,
      baseUrl,
      // A predecessor-style `{base_url}/api` host is stored resolved, like the endpoints.
      hostUrl: definition.host_url === null || !definition.host_url.includes("{base_url}")
        ? definition.host_url
        : resolveTemplate(definition.host_url, baseUrl),
      lastRefreshAt: null,
      lastRefreshError: null,
      metadata: existing?.metadata ?? {},
      extra: existing?.extra ?? {},
    };
    await ctx.vault.update(async (tx) => {
      saveClient(tx, ctx.profile, provider, client);
      await saveConnection(tx, connection);
    });
    await ensureConfig(ctx);
  });
  return { status: "success", provider, connection: name, recordStatus: "connected" };
}

/**
 * `--base-url` (or the stored base URL) obeys the endpoint rule: https, or http on a loopback
 * host. Checked before anything is sent.
 */
function checkBaseUrl(
  definition: OAuthProviderDefinition,
  baseUrl: string | null,
  fromFlag: boolean,
): void {
  if (baseUrl === null) return;
  const problem = endpointUrlProblem(baseUrl, fromFlag ? "--base-url" : "the stored base URL");
  if (problem) {
    throw new UsageError(problem, {
      hint: `authsome login ${definition.name} --base-url https://<host>`,
    });
  }
}

interface FlowInput extends Omit<OAuthLoginOptions, "baseUrl" | "scopes"> {
  baseUrl: string | null;
  scopes: string[];
  storedClient: OAuthClient | null;
}

function endpoint(url: string | null, baseUrl: string | null, what: string, provider: string) {
  if (!url) {
    throw new UsageError(`${provider} has no ${what}`, { hint: `authsome inspect ${provider}` });
  }
  return resolveTemplate(url, baseUrl);
}

async function runFlow(
  ctx: AuthsomeContext,
  definition: OAuthProviderDefinition,
  input: FlowInput,
  ui: OAuthLoginUi,
): Promise<{ tokens: TokenSet; client: OAuthClient }> {
  const oauth = definition.oauth;
  const tokenUrl = endpoint(oauth.token_url, input.baseUrl, "token URL", definition.name);
  if (input.flow === "device_code") {
    const deviceUrl = endpoint(
      oauth.device_authorization_url,
      input.baseUrl,
      "device authorization URL",
      definition.name,
    );
    const client = withAuthMethod(
      definition,
      await clientFor(ctx, definition, input, ui, null),
      null,
    );
    const deps = oauthDeps(ctx, input.signal);
    const authorization = await startDeviceAuthorization(deps, {
      url: deviceUrl,
      client: credentials(client),
      scopes: input.scopes,
    });
    await ui.showDeviceCode({
      userCode: authorization.userCode,
      verificationUri: authorization.verificationUri,
      verificationUriComplete: authorization.verificationUriComplete,
      expiresIn: authorization.expiresIn,
    });
    const tokens = await pollForDeviceToken(deps, {
      tokenUrl,
      authorization,
      client: credentials(client),
      json: oauth.device_token_request === "json",
    });
    return { tokens, client };
  }
  const authorizationUrl = endpoint(
    oauth.authorization_url,
    input.baseUrl,
    "authorization URL",
    definition.name,
  );
  const server = await serverMetadata(ctx, definition, input, authorizationUrl);
  const urls = { authorizationUrl, tokenUrl };
  if (input.flow === "pkce") {
    return await pkceFlow(
      ctx,
      definition,
      input,
      ui,
      urls,
      server,
      async (redirectUri) =>
        withAuthMethod(
          definition,
          await clientFor(ctx, definition, input, ui, redirectUri),
          server.metadata,
        ),
    );
  }
  // Dynamic client registration: reuse a registered client; register again if the server
  // no longer knows it.
  let registered = input.storedClient?.source === "dcr" ? input.storedClient : null;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      return await pkceFlow(
        ctx,
        definition,
        input,
        ui,
        urls,
        server,
        async (redirectUri) =>
          withAuthMethod(
            definition,
            registered ??= await registerDynamicClient(
              ctx,
              definition,
              input,
              ui,
              server,
              redirectUri,
            ),
            server.metadata,
          ),
      );
    } catch (error) {
      if (
        attempt === 0 && error instanceof OAuthProtocolError &&
        error.oauthError === "invalid_client"
      ) {
        ctx.log.debug("registered client rejected; registering again", {
          provider: definition.name,
        });
        registered = null;
        continue;
      }
      throw error;
    }
  }
  throw new AuthenticationError("dynamic client registration failed twice");
}

async function pkceFlow(
  ctx: AuthsomeContext,
  definition: OAuthProviderDefinition,
  input: FlowInput,
  ui: OAuthLoginUi,
  urls: { authorizationUrl: string; tokenUrl: string },
  server: ServerInfo,
  clientForRedirect: (redirectUri: string) => Promise<OAuthClient>,
): Promise<{ tokens: TokenSet; client: OAuthClient }> {
  const deps = oauthDeps(ctx, input.signal);
  const state = createState(deps.randomBytes);
  const pkce = await createPkcePair(deps.randomBytes);
  const callback = await startCallbackListener(ctx.platform.serve, {
    port: input.port,
    state,
    timeoutMs: CALLBACK_TIMEOUT_MS,
    signal: input.signal,
    expectedIssuer: server.issuer,
    requireIssuer: server.metadata?.authorization_response_iss_parameter_supported === true,
    host: definition.oauth.redirect_host ?? undefined,
  });
  try {
    const client = await clientForRedirect(callback.redirectUri);
    const url = buildAuthorizationUrl({
      authorizationUrl: urls.authorizationUrl,
      clientId: client.clientId!,
      redirectUri: callback.redirectUri,
      scopes: input.scopes,
      state,
      challenge: pkce.challenge,
    });
    await ui.showAuthorizationUrl(url);
    const { code } = await callback.callback;
    const tokens = await exchangeAuthorizationCode(deps, {
      tokenUrl: urls.tokenUrl,
      code,
      redirectUri: callback.redirectUri,
      verifier: pkce.verifier,
      client: credentials(client),
    });
    return { tokens, client };
  } finally {
    await callback.close();
  }
}

function credentials(client: OAuthClient): ClientCredentials {
  return {
    clientId: client.clientId!,
    clientSecret: client.clientSecret,
    authMethod: storedAuthMethod(client),
  };
}

/**
 * The client to use: the stored one (kept by `--force`), else the provider's environment
 * variables, else asked for (client id at a prompt, secret through the secret collector).
 */
async function clientFor(
  ctx: AuthsomeContext,
  definition: OAuthProviderDefinition,
  input: FlowInput,
  ui: OAuthLoginUi,
  redirectUri: string | null,
): Promise<OAuthClient> {
  if (input.storedClient?.clientId && input.storedClient.source !== "dcr") {
    return input.storedClient;
  }
  const fromEnv = clientFromEnv(ctx, definition);
  if (fromEnv) return fromEnv;
  // A public client needs no registration by the user: the definition's published id, or
  // none at all for device flows that identify the login by its device code alone (Postiz).
  const publicId = definition.client.client_id ??
    (redirectUri === null && definition.oauth.device_token_request === "json" ? "" : null);
  if (publicId !== null) {
    return {
      clientId: publicId,
      clientSecret: null,
      source: "user_supplied",
      registration: null,
      extra: { public_client: true },
    };
  }
  const clientId = (await ui.askClientId(
    definition.name,
    definition.display_name,
    redirectUri ?? "(device flow: no redirect)",
  )).trim();
  if (!clientId) {
    throw new AuthenticationError("a client id is required", {
      hint: definition.client.client_id_env
        ? `export ${definition.client.client_id_env}=<client id>`
        : `authsome login ${definition.name}`,
    });
  }
  const secret = await ui.collectSecret({
    provider: definition.name,
    displayName: definition.display_name,
    label: "client secret (empty for a public client)",
    envVar: definition.client.client_secret_env ?? undefined,
    docs: definition.docs ?? undefined,
  });
  return {
    clientId,
    clientSecret: secret.isEmpty ? null : secret,
    source: "user_supplied",
    registration: null,
    extra: {},
  };
}
