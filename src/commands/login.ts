/**
 * `authsome login <provider>`: API key or OAuth2 flow. Ctrl-C at any point exits 130 and
 * leaves the vault as it was.
 *
 * @module
 */
import { findLoginTarget, reauthenticationReason } from "../auth/login_target.ts";
import type { LoginResult } from "../auth/login_api_key.ts";
import { InterruptedError, UsageError } from "../errors.ts";
import type { OAuthFlow } from "../model/provider.ts";
import { booleanFlag, type Invocation, stringFlag } from "./invocation.ts";
import type { Output } from "./output.ts";
import { desktopBrowserAvailable } from "./secret_form.ts";
import { terminalSecretCollector } from "./secret_input.ts";

/** Runs `login`. */
export async function run(invocation: Invocation): Promise<number> {
  const { ctx, out, parsed, platform } = invocation;
  const definition = (await ctx.providers()).get(parsed.args[0]);
  const flow = stringFlag(invocation, "flow") ?? definition.flow;
  const force = booleanFlag(invocation, "force");
  const connection = stringFlag(invocation, "connection");
  if ((flow === "api_key") !== (definition.auth_type === "api_key")) {
    throw new UsageError(
      `${definition.name} is an ${definition.auth_type} provider; flow "${flow}" does not apply`,
      { hint: `authsome login ${definition.name}` },
    );
  }
  const controller = new AbortController();
  const noBrowser = booleanFlag(invocation, "no-browser");
  const collector = terminalSecretCollector(platform, out, controller.signal, {
    browser: !noBrowser,
  });
  const target = await findLoginTarget(ctx, definition.name, connection);
  const { name, existing } = target;
  const scopes = stringFlag(invocation, "scopes");
  const scopeList = scopes === undefined ? undefined : scopes.split(/[\s,]+/).filter(Boolean);
  const reason = existing && !force
    ? reauthenticationReason(existing, {
      scopes: scopeList,
      baseUrl: stringFlag(invocation, "base-url"),
      defaultBaseUrl: definition.oauth?.base_url,
      now: platform.clock.now(),
    })
    : null;
  if (existing && !force && reason === null) {
    report(out, {
      status: "already_connected",
      provider: definition.name,
      connection: name,
      recordStatus: "connected",
    });
    return 0;
  }
  out.note(`Starting login for ${definition.name}...`);
  if (reason) out.note(`Logging in again (${name}): ${reason}.`);
  if (force && existing) out.warn("Forcing login will overwrite the existing connection.");
  let result: LoginResult;
  if (definition.auth_type === "api_key") {
    for (const flag of ["scopes", "base-url"]) {
      if (stringFlag(invocation, flag) !== undefined) {
        throw new UsageError(`--${flag} applies only to OAuth2 providers`);
      }
    }
    const { loginWithApiKey } = await import("../auth/login_api_key.ts");
    // Ctrl-C is caught only while the browser form may be up; otherwise the default (exit 130)
    // applies, and nothing has been written yet.
    const removeListener = !noBrowser && desktopBrowserAvailable(platform)
      ? platform.onInterrupt(() => controller.abort())
      : () => {};
    try {
      result = await loginWithApiKey(ctx, definition, { connection, force, target }, collector);
    } finally {
      removeListener();
    }
  } else {
    const port = invocation.parsed.flags.port as number;
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw new UsageError(`--port must be 0..65535, got ${port}`);
    }
    const removeListener = platform.onInterrupt(() => controller.abort());
    try {
      const { loginWithOAuth } = await import("../auth/login_oauth.ts");
      result = await loginWithOAuth(ctx, definition, {
        connection,
        force,
        target,
        flow: flow as OAuthFlow,
        scopes: scopeList,
        baseUrl: stringFlag(invocation, "base-url"),
        port,
        signal: controller.signal,
      }, {
        askClientId: async (provider, displayName, redirectUri) => {
          if (!platform.terminal.stdinIsTerminal) {
            const variable = definition.client.client_id_env;
            throw new UsageError(`no OAuth client id for ${provider}`, {
              hint: variable
                ? `export ${variable}=<client id>   (then run the login again)`
                : `Run the login in a terminal: authsome login ${provider}`,
            });
          }
          out.instruct(`Register an OAuth app for ${displayName} with this redirect URL:`);
          out.instruct(`  ${redirectUri}`);
          return await platform.terminal.readLine(`${displayName} client id: `);
        },
        collectSecret: collector,
        showAuthorizationUrl: (url) =>
          showUrl(out, noBrowser ? () => Promise.resolve(false) : platform.openBrowser, url),
        showDeviceCode: async (info) => {
          out.instruct("");
          out.instruct(`To authorize, open: ${info.verificationUri}`);
          out.instruct(`and enter the code:  ${info.userCode}`);
          out.instruct("");
          if (info.verificationUriComplete && !noBrowser) {
            await platform.openBrowser(info.verificationUriComplete);
          }
          out.note(`Waiting for authorization (expires in ${info.expiresIn}s)...`);
        },
      });
    } catch (error) {
      if (controller.signal.aborted || error instanceof InterruptedError) {
        throw new InterruptedError("login cancelled; nothing was changed");
      }
      throw error;
    } finally {
      removeListener();
    }
  }
  report(out, result);
  return 0;
}

async function showUrl(
  out: Output,
  openBrowser: (url: string) => Promise<boolean>,
  url: string,
): Promise<void> {
  out.instruct("Open this URL in your browser to authorize:");
  out.instruct(`  ${url}`);
  if (await openBrowser(url)) out.note("(opened in your browser)");
  out.note("Waiting for the browser to come back (5 minutes)...");
}

function report(out: Output, result: LoginResult): void {
  if (out.json) {
    out.jsonValue({
      status: result.status,
      provider: result.provider,
      connection: result.connection,
      record_status: result.recordStatus,
    });
  } else if (result.status === "already_connected") {
    out.line(`Already logged in to ${result.provider} (${result.connection}).`);
    out.line(`To replace the credential: authsome login ${result.provider} --force`);
  } else {
    out.line(`Successfully logged in to ${result.provider} (${result.connection}).`);
  }
}
