/**
 * The daemon's grant endpoints (docs/isolation.md):
 *
 * - `POST /v1/grants {name, providers, hosts?, methods?, ttl?, profile?}` → `{schema_version,
 *   name, token, expires_at, proxy_port, ca_certificate_pem, placeholders, sources, warnings,
 *   providers, hosts, methods}`: mints a grant and starts its proxy. In key mode `daemon` the
 *   request must carry the unlock proof (`X-Authsome-Unlock-Proof`), which only someone who
 *   knows the passphrase can compute; the bearer token in `daemon/token` alone is not enough.
 * - `GET /v1/grants` → `{schema_version, grants: [{name, providers, hosts, methods,
 *   created_at, expires_at, expired}]}` (never a token).
 * - `DELETE /v1/grants/{name}` → `{schema_version, name, revoked: true}`; 404 when there is
 *   no such grant. Revoking only ever takes power away, so the bearer token suffices.
 * - `GET /v1/grant` with a grant token as the bearer → what `POST /v1/grants` answered, without
 *   the token: how the holder reaches its proxy (`run --grant` with `AUTHSOME_GRANT_TOKEN`).
 *
 * @module
 */
import type { AuthsomeContext } from "../auth/context.ts";
import type { GrantRegistry } from "../grants/registry.ts";
import { startGrantProxy } from "../grants/proxy.ts";
import { checkGrantName, parseGrantSpec } from "../grants/spec.ts";
import { UsageError } from "../errors.ts";
import { DaemonHttpError } from "./errors.ts";
import { allow, json, readJson } from "./request.ts";

/** Answers a `/v1/grants` request, or returns null when the path is not a grant path. */
export async function grantRoute(
  request: Request,
  path: string,
  parts: {
    grants: GrantRegistry;
    /** The context for a profile named in a body (the daemon's own by default). */
    contextFor(profile: unknown): AuthsomeContext;
    /** Throws 403 unless the caller proved it knows the vault key (where that is required). */
    requireUnlock(): void;
    /** The audit sink without the daemon's `via` (the grant's proxy sets its own). */
    plain: AuthsomeContext;
  },
): Promise<Response | null> {
  const { grants } = parts;
  if (path === "/v1/grants" && request.method === "GET") {
    grants.sweep();
    const now = parts.plain.platform.clock.now();
    return json(200, {
      schema_version: 1,
      grants: grants.list().map((grant) => ({
        name: grant.name,
        providers: grant.providers,
        hosts: grant.hosts,
        methods: grant.methods,
        created_at: new Date(grant.createdAt).toISOString(),
        expires_at: new Date(grant.expiresAt).toISOString(),
        expired: now >= grant.expiresAt,
      })),
    });
  }
  if (path === "/v1/grants") {
    allow(request, "POST");
    parts.requireUnlock();
    const body = await readJson(request);
    const spec = parseGrantSpec({
      name: String(body.name ?? ""),
      providers: strings(body.providers, "providers"),
      hosts: strings(body.hosts, "hosts"),
      methods: strings(body.methods, "methods"),
      ttl: body.ttl === undefined ? undefined : String(body.ttl),
    });
    const c = parts.contextFor(body.profile);
    const { grant, token } = await grants.create(spec, c.profile);
    let proxy;
    try {
      proxy = await startGrantProxy(
        { ...parts.plain, profile: c.profile },
        grants,
        grant.name,
        token,
      );
    } catch (error) {
      grants.revoke(grant.name);
      throw error;
    }
    await parts.plain.audit.append({
      event: "grant_create",
      status: "success",
      grant: grant.name,
      providers: grant.providers,
      hosts: grant.hosts,
      methods: grant.methods,
      expires_at: new Date(grant.expiresAt).toISOString(),
      via: "daemon",
    });
    const serving = {
      name: grant.name,
      expires_at: new Date(grant.expiresAt).toISOString(),
      proxy_port: proxy.port,
      ca_certificate_pem: proxy.caCertificatePem,
      placeholders: proxy.placeholders,
      sources: proxy.sources,
      warnings: proxy.warnings,
      providers: grant.providers,
      hosts: grant.hosts,
      methods: grant.methods,
    };
    grants.setServing(grant.name, serving);
    return json(200, { schema_version: 1, ...serving, token });
  }
  const one = /^\/v1\/grants\/([^/]+)$/.exec(path);
  if (!one) return null;
  allow(request, "DELETE");
  let name: string;
  try {
    name = checkGrantName(decodeURIComponent(one[1]));
  } catch (error) {
    if (error instanceof URIError) throw new UsageError("malformed percent-encoding in the path");
    throw error;
  }
  if (!(grants.revoke(name))) {
    throw new DaemonHttpError(404, "grant_not_found", `no grant named "${name}"`, {
      exitCode: 5,
    });
  }
  await parts.plain.audit.append({
    event: "grant_revoke",
    status: "success",
    grant: name,
    via: "daemon",
  });
  return json(200, { schema_version: 1, name, revoked: true });
}

function strings(value: unknown, what: string): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || !value.every((v) => typeof v === "string")) {
    throw new DaemonHttpError(400, "usage", `${what} must be an array of strings`);
  }
  return value;
}

/** `GET /v1/grant`: a grant holder asks how its grant is served. */
export function grantSelf(grants: GrantRegistry, name: string): Response {
  grants.live(name);
  return json(200, { schema_version: 1, ...grants.serving(name) });
}
