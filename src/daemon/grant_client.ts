/**
 * The CLI's side of grants: minting (with the unlock proof where the home is in key mode
 * `daemon`), listing and revoking, through the running daemon. No daemon is exit 9 with the
 * hint that starts one.
 *
 * @module
 */
import type { AuthsomeContext } from "../auth/context.ts";
import { AuthenticationError, DaemonUnavailableError } from "../errors.ts";
import { daemonFiles } from "./client.ts";
import { callDaemon, type DaemonEndpoint, locateDaemon } from "./connect.ts";
import { errorFromBody } from "./errors.ts";
import { isDaemonKeyMode } from "../vault/key_source.ts";
import { answerChallenge, CHALLENGE_PATH, UNLOCK_HEADER } from "./unlock_challenge.ts";

/** `GET /v1/grant`: how a grant is served (no token). */
export interface ServedGrant {
  name: string;
  expires_at: string;
  proxy_port: number;
  ca_certificate_pem: string;
  placeholders: Record<string, string>;
  sources: string[];
  warnings: string[];
  providers: string[];
  hosts: string[];
  methods: string[];
}

/** `POST /v1/grants`: how the new grant is served, and its token (shown once). */
export interface MintedGrant extends ServedGrant {
  token: string;
}

/** One entry of `GET /v1/grants`. */
export interface GrantInfo {
  name: string;
  providers: string[];
  hosts: string[];
  methods: string[];
  created_at: string;
  expires_at: string;
  expired: boolean;
}

const TIMEOUT_MS = 20_000;

/** The running daemon of `ctx`'s home, or exit 9. */
export async function requireDaemon(ctx: AuthsomeContext): Promise<DaemonEndpoint> {
  const found = await locateDaemon(ctx.platform, daemonFiles(ctx.paths));
  if (found.state !== "running") {
    // `daemon unlock` refuses a home whose key is on disk; there `daemon start` serves grants.
    const keyMode = await isDaemonKeyMode(ctx.platform, ctx.paths);
    throw new DaemonUnavailableError(`no authsome daemon is running for ${ctx.paths.home}`, {
      hint: keyMode ? "authsome daemon unlock" : "authsome daemon start",
    });
  }
  return found.endpoint;
}

async function ask(
  ctx: AuthsomeContext,
  request: {
    method: "GET" | "POST" | "DELETE";
    path: string;
    body?: unknown;
    /** The base64 unlock proof key: the request answers a fresh challenge with it. */
    proof?: string;
    /** Another bearer than `daemon/token` (a grant token). */
    bearer?: string;
  },
): Promise<unknown> {
  const found = await requireDaemon(ctx);
  const endpoint = request.bearer ? { ...found, token: request.bearer } : found;
  let headers: Record<string, string> | undefined;
  if (request.proof) {
    const { nonce } = await ask(ctx, { method: "POST", path: CHALLENGE_PATH, body: {} }) as {
      nonce: string;
    };
    const body = request.body === undefined ? "" : JSON.stringify(request.body);
    headers = {
      [UNLOCK_HEADER]: await answerChallenge(Uint8Array.fromBase64(request.proof), nonce, {
        method: request.method,
        path: request.path,
        body,
      }),
    };
  }
  let reply: { status: number; body: unknown };
  try {
    reply = await callDaemon(ctx.platform, endpoint, {
      method: request.method,
      path: request.path,
      body: request.body,
      timeoutMs: TIMEOUT_MS,
      headers,
    });
  } catch (error) {
    throw new DaemonUnavailableError(`the daemon does not answer: ${(error as Error).message}`, {
      hint: "authsome daemon status",
    });
  }
  if (reply.status === 200 && typeof reply.body === "object" && reply.body !== null) {
    return reply.body;
  }
  throw errorFromBody(reply.body) ??
    new DaemonUnavailableError(`the daemon answered HTTP ${reply.status}`, {
      hint: "authsome daemon status",
    });
}

/** Mints a grant; `proof` is the base64 unlock proof (key mode `daemon`), else undefined. */
export async function mintGrant(
  ctx: AuthsomeContext,
  spec: { name: string; providers: string[]; hosts: string[]; methods: string[]; ttl: string },
  proof: string | undefined,
): Promise<MintedGrant> {
  const body = { ...spec, profile: ctx.profile };
  return await ask(ctx, { method: "POST", path: "/v1/grants", body, proof }) as MintedGrant;
}

/** Every grant the daemon holds. */
export async function listGrants(ctx: AuthsomeContext): Promise<GrantInfo[]> {
  const body = await ask(ctx, { method: "GET", path: "/v1/grants" }) as { grants: GrantInfo[] };
  return body.grants;
}

/** Revokes a grant; a missing one is exit 5. */
export async function revokeGrant(ctx: AuthsomeContext, name: string): Promise<void> {
  await ask(ctx, { method: "DELETE", path: `/v1/grants/${encodeURIComponent(name)}` });
}

/** How the grant whose token the caller holds is served; refused once it ended. */
export async function servedGrant(ctx: AuthsomeContext, token: string): Promise<ServedGrant> {
  try {
    return await ask(ctx, { method: "GET", path: "/v1/grant", bearer: token }) as ServedGrant;
  } catch (error) {
    if ((error as { code?: string }).code !== "unauthorized") throw error;
    // The daemon forgets a grant's token when the grant ends (or restarts without it).
    throw new AuthenticationError(
      "AUTHSOME_GRANT_TOKEN is not the token of a live grant: it was revoked, has expired, " +
        "or the daemon restarted since",
      { hint: "authsome grant create <name> --provider <name>   # then export the new token" },
    );
  }
}
