/**
 * Starts a real, certified authorization server (panva's oidc-provider 9.13.3, a Node
 * subprocess running tests/interop/oidc_server.mjs) on 127.0.0.1 for interoperability tests.
 *
 * It needs `npm ci --prefix tests/interop`; tests use `ignore: !oidcAvailable()` so that a
 * checkout without that install skips them instead of failing.
 *
 * Endpoints (relative to `issuer`): `/auth`, `/token`, `/token/revocation`,
 * `/token/introspection`, `/reg`, `/device/auth`, `/device`, `/.well-known/openid-configuration`
 * and `/.well-known/oauth-authorization-server`. Pre-registered public native client
 * `authsome-test` (redirect `http://127.0.0.1/callback`, any port; PKCE S256 required).
 */

const interopDir = new URL("../interop/", import.meta.url);
const serverScript = new URL("oidc_server.mjs", interopDir);

/** The pre-registered public native client of the interop server. */
export const OIDC_CLIENT_ID = "authsome-test";
/** Its registered redirect URI; any loopback port is accepted (RFC 8252 §7.3). */
export const OIDC_REDIRECT_URI = "http://127.0.0.1/callback";

/** True when `tests/interop/node_modules/oidc-provider` is installed (and `node` exists). */
export function oidcAvailable(): boolean {
  try {
    Deno.statSync(new URL("node_modules/oidc-provider/package.json", interopDir));
  } catch {
    return false;
  }
  return nodeBinary() !== undefined;
}

function nodeBinary(): string | undefined {
  const fromEnv = Deno.env.get("AUTHSOME_TEST_NODE");
  if (fromEnv) return fromEnv;
  const sep = Deno.build.os === "windows" ? ";" : ":";
  const names = Deno.build.os === "windows" ? ["node.exe"] : ["node"];
  for (const dir of (Deno.env.get("PATH") ?? "").split(sep)) {
    for (const name of names) {
      const candidate = `${dir}/${name}`;
      try {
        if (Deno.statSync(candidate).isFile) return candidate;
      } catch {
        // not here
      }
    }
  }
  return undefined;
}

/** Options for {@link startOidcProvider}. */
export interface OidcProviderOptions {
  /** Access-token lifetime in seconds (env ACCESS_TTL; default 3600). */
  accessTtl?: number;
  /** Refresh-token lifetime in seconds (env REFRESH_TTL; default 14 days). */
  refreshTtl?: number;
  /** Port to listen on (default 0: ephemeral). */
  port?: number;
  /** Give up waiting for the ready line after this long (default 15000 ms). */
  startTimeoutMs?: number;
}

/** A running oidc-provider. */
export interface OidcProvider {
  /** `http://127.0.0.1:<port>`, exactly as the server's metadata states it. */
  issuer: string;
  port: number;
  /** Everything the server wrote to stderr so far (warnings, errors). */
  stderr(): string;
  /** Stops the process (SIGTERM) and waits for it and its pipes. Idempotent. */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** Spawns `node tests/interop/oidc_server.mjs` and waits until it prints its ready line. */
export async function startOidcProvider(options: OidcProviderOptions = {}): Promise<OidcProvider> {
  const node = nodeBinary();
  if (!node) throw new Error("oidc-provider harness: no `node` on PATH");
  const env: Record<string, string> = { OIDC_EXIT_ON_STDIN_EOF: "1" };
  if (options.accessTtl !== undefined) env.ACCESS_TTL = String(options.accessTtl);
  if (options.refreshTtl !== undefined) env.REFRESH_TTL = String(options.refreshTtl);
  const child = new Deno.Command(node, {
    args: [serverScript.pathname, String(options.port ?? 0)],
    cwd: interopDir,
    env,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();

  let stderrText = "";
  const stderrDone = (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of child.stderr) stderrText += decoder.decode(chunk, { stream: true });
  })();

  // Read stdout until the ready line; keep draining afterwards so the pipe never fills.
  const decoder = new TextDecoder();
  let buffered = "";
  let stdoutText = "";
  let resolveReady!: (value: { issuer: string; port: number }) => void;
  let rejectReady!: (error: Error) => void;
  const ready = new Promise<{ issuer: string; port: number }>((resolve, reject) => {
    resolveReady = resolve;
    rejectReady = reject;
  });
  const stdoutDone = (async () => {
    let found = false;
    for await (const chunk of child.stdout) {
      const text = decoder.decode(chunk, { stream: true });
      stdoutText += text;
      if (found) continue;
      buffered += text;
      let newline;
      while (!found && (newline = buffered.indexOf("\n")) !== -1) {
        const line = buffered.slice(0, newline).trim();
        buffered = buffered.slice(newline + 1);
        if (!line.startsWith("{")) continue;
        try {
          const parsed = JSON.parse(line);
          if (parsed.ready === true && typeof parsed.issuer === "string") {
            found = true;
            resolveReady({ issuer: parsed.issuer, port: Number(parsed.port) });
          }
        } catch {
          // not our line
        }
      }
    }
    if (!found) rejectReady(new Error("oidc-provider exited before it was ready"));
  })();

  let closed: Promise<void> | undefined;
  const close = () => {
    closed ??= (async () => {
      try {
        child.kill("SIGTERM");
      } catch {
        // already exited
      }
      try {
        await child.stdin.close();
      } catch {
        // already closed
      }
      await child.status;
      await Promise.all([stdoutDone, stderrDone]);
    })();
    return closed;
  };

  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error("oidc-provider did not become ready in time")),
      options.startTimeoutMs ?? 15_000,
    );
  });
  try {
    const { issuer, port } = await Promise.race([ready, timeout]);
    return {
      issuer,
      port,
      stderr: () => stderrText,
      close,
      [Symbol.asyncDispose]: close,
    };
  } catch (error) {
    await close();
    throw new Error(
      `${(error as Error).message}\nstdout: ${stdoutText}\nstderr: ${stderrText}`,
    );
  } finally {
    clearTimeout(timer);
  }
}
