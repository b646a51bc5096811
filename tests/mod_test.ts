/**
 * The library (`mod.ts`) as its users meet it: imported from `../mod.ts` only, over a temp
 * `AUTHSOME_HOME` holding what CLI logins leave, with the fake OAuth server on 127.0.0.1 for
 * refreshes. Every export is used here; errors are checked for their class, exit code and hint;
 * secrets must not show when a credential is printed or JSON-stringified.
 */
import assert from "node:assert/strict";
import * as authsome from "../mod.ts";
import {
  AuthenticationError,
  Authsome,
  AuthsomeError,
  type ConnectionSummary,
  type Credential,
  CredentialMissingError,
  type CredentialOptions,
  DaemonUnavailableError,
  ExitCode,
  HomeUnavailableError,
  InterruptedError,
  KeySourceError,
  type Logger,
  type OpenOptions,
  PROVIDER_SCHEMA_VERSION,
  ProviderDefinitionError,
  ProviderNotFoundError,
  RefreshError,
  Secret,
  UnsafePermissionsError,
  UsageError,
  VaultCorruptError,
  VaultError,
  VaultLockedError,
  VaultVersionError,
  WrongKeyError,
} from "../mod.ts";
import type {
  ApiKeyBlock,
  ApiKeyProviderDefinition,
  AuthHeader,
  AuthType,
  BasicAuthMode,
  ClientEnv,
  ConnectionStatus,
  DeviceTokenRequest,
  ExportField,
  OAuthBlock,
  OAuthFlow,
  OAuthProviderDefinition,
  ProviderBase,
  ProviderDefinition,
} from "../mod.ts";
import { clearProxyEnv, startFakeAuthServer } from "./_fakes/oauth_server.ts";
import { holdLock } from "./e2e/_helpers.ts";
import { libraryHome, recordingLogger } from "./library/_home.ts";

Deno.test.sanitizer?.({ ops: true, resources: true });
clearProxyEnv();

const OPENAI_KEY = "sk-libtest0123456789abcdefghijKLMN";

Deno.test("every runtime export of mod.ts is the documented one", () => {
  assert.deepEqual(Object.keys(authsome).sort(), [
    "AuthenticationError",
    "Authsome",
    "AuthsomeError",
    "CredentialMissingError",
    "DaemonUnavailableError",
    "ExitCode",
    "HomeUnavailableError",
    "InterruptedError",
    "KeySourceError",
    "PROVIDER_SCHEMA_VERSION",
    "ProviderDefinitionError",
    "ProviderNotFoundError",
    "RefreshError",
    "Secret",
    "UnsafePermissionsError",
    "UsageError",
    "VaultCorruptError",
    "VaultError",
    "VaultLockedError",
    "VaultVersionError",
    "WrongKeyError",
  ]);
  assert.equal(PROVIDER_SCHEMA_VERSION, 1);
});

Deno.test("credential() hands out an API key and its header, audited as a library get", async () => {
  await using home = await libraryHome();
  await home.apiKey("openai", OPENAI_KEY);
  await using lib = await Authsome.open({ home: home.home, logger: recordingLogger() });
  assert.equal(lib.profile, "default");
  const credential: Credential = await lib.credential("openai");
  assert.equal(credential.provider, "openai");
  assert.equal(credential.connection, "default");
  assert.equal(credential.authType, "api_key");
  assert.equal(credential.expiresAt, null);
  assert.equal(credential.value.reveal(), OPENAI_KEY);
  const header: AuthHeader = credential.header;
  assert.equal(header.name, "Authorization");
  assert.equal(header.value.reveal(), `Bearer ${OPENAI_KEY}`);
  assert.equal(credential.warning, undefined);
  const audit = await home.auditEntries();
  assert.deepEqual(
    audit.map(({ event, provider, connection, status, field, via }) => ({
      event,
      provider,
      connection,
      status,
      field,
      via,
    })),
    [{
      event: "get",
      provider: "openai",
      connection: "default",
      status: "success",
      field: "credential",
      via: "library",
    }],
  );
});

Deno.test("a credential prints, stringifies and inspects without its secret", async () => {
  await using home = await libraryHome();
  await home.apiKey("openai", OPENAI_KEY);
  await using lib = await Authsome.open({ home: home.home, logger: recordingLogger() });
  const credential = await lib.credential("openai");
  const shown = [
    JSON.stringify(credential),
    String(credential.value),
    `${credential.header.value}`,
    Deno.inspect(credential, { depth: 10 }),
    JSON.stringify(await lib.connections()),
  ].join("\n");
  assert.ok(!shown.includes(OPENAI_KEY.slice(3)), shown);
  assert.match(JSON.stringify(credential), /"value":"\[redacted\]"/);
});

Deno.test("Secret wraps a value that only reveal() gives back", () => {
  const secret = new Secret("hunter2-secret-value");
  assert.equal(secret.reveal(), "hunter2-secret-value");
  assert.equal(String(secret), "[redacted]");
  assert.equal(JSON.stringify({ secret }), '{"secret":"[redacted]"}');
  assert.equal(secret.isEmpty, false);
  assert.equal(new Secret("").isEmpty, true);
});

Deno.test("credential() picks a named connection", async () => {
  await using home = await libraryHome();
  await home.apiKey("openai", OPENAI_KEY);
  await home.apiKey("openai", `${OPENAI_KEY}work`, "work");
  await using lib = await Authsome.open({ home: home.home, logger: recordingLogger() });
  const options: CredentialOptions = { connection: "work" };
  const credential = await lib.credential("openai", options);
  assert.equal(credential.connection, "work");
  assert.equal(credential.value.reveal(), `${OPENAI_KEY}work`);
});

Deno.test("connections() lists every connection of the profile without secrets", async () => {
  await using home = await libraryHome();
  await home.apiKey("openai", OPENAI_KEY);
  await home.apiKey("resend", "re_libtest_0123456789abcdef");
  await using lib = await Authsome.open({ home: home.home, logger: recordingLogger() });
  const list: ConnectionSummary[] = await lib.connections();
  const status: ConnectionStatus = list[0].status;
  assert.equal(status, "connected");
  assert.deepEqual(list.map((c) => `${c.provider}/${c.connection} ${c.authType}`).sort(), [
    "openai/default api_key",
    "resend/default api_key",
  ]);
  assert.deepEqual(Object.keys(list[0]).sort(), [
    "authType",
    "connection",
    "expiresAt",
    "provider",
    "scopes",
    "status",
  ]);
  // Listing reveals nothing, so it is not audited.
  assert.deepEqual(await home.auditEntries(), []);
});

Deno.test("an unknown provider is a ProviderNotFoundError with exit code 3", async () => {
  await using home = await libraryHome();
  await using lib = await Authsome.open({ home: home.home, logger: recordingLogger() });
  const error = await lib.credential("no-such-provider").then(() => null, (e) => e);
  assert.ok(error instanceof ProviderNotFoundError, String(error));
  assert.ok(error instanceof AuthsomeError);
  assert.equal(error.exitCode, 3);
  assert.equal(error.exitCode, ExitCode.providerNotFound);
  assert.equal(error.code, "provider_not_found");
});

Deno.test("a provider never logged in is a CredentialMissingError (5) whose hint logs in", async () => {
  await using home = await libraryHome();
  await home.apiKey("openai", OPENAI_KEY);
  await using lib = await Authsome.open({ home: home.home, logger: recordingLogger() });
  const error = await lib.credential("resend").then(() => null, (e) => e);
  assert.ok(error instanceof CredentialMissingError, String(error));
  assert.equal(error.exitCode, ExitCode.credentialMissing);
  assert.equal(error.code, "credential_missing");
  assert.match(error.hint ?? "", /authsome login resend/);
  assert.deepEqual(await home.auditEntries(), [], "a failed access reveals nothing");
});

Deno.test("a bad profile name is a UsageError (exit 2) from open()", async () => {
  await using home = await libraryHome();
  const options: OpenOptions = { home: home.home, profile: "../escape" };
  const error = await Authsome.open(options).then(() => null, (e) => e);
  assert.ok(error instanceof UsageError, String(error));
  assert.equal(error.exitCode, ExitCode.usage);
});

Deno.test({
  name: "a vault sealed by another key is a WrongKeyError (7) naming the fix",
  // The library reads a key from the environment before master.key: with one set, the planted
  // key file is not what opens the vault, so the test is reported ignored rather than passed.
  ignore: Boolean(Deno.env.get("AUTHSOME_MASTER_KEY") || Deno.env.get("AUTHSOME_PASSPHRASE")),
}, async () => {
  await using home = await libraryHome();
  await home.apiKey("openai", OPENAI_KEY);
  // Another key file: the vault no longer opens.
  const other = crypto.getRandomValues(new Uint8Array(32)).toBase64();
  await Deno.writeTextFile(`${home.home}/master.key`, other, { mode: 0o600 });
  await using lib = await Authsome.open({ home: home.home, logger: recordingLogger() });
  const error = await lib.credential("openai").then(() => null, (e) => e);
  assert.ok(error instanceof VaultError, String(error));
  assert.ok(error instanceof WrongKeyError, String(error));
  assert.equal(error.exitCode, ExitCode.vaultUnavailable);
  assert.ok(error.hint, "says how to fix it");
  assert.ok(!JSON.stringify({ message: error.message, hint: error.hint }).includes(other));
});

Deno.test("every error class carries its CLI exit code and stays an AuthsomeError", () => {
  const cases: [new (message: string) => AuthsomeError, number][] = [
    [AuthsomeError, 1],
    [UsageError, 2],
    [ProviderDefinitionError, 2],
    [ProviderNotFoundError, 3],
    [AuthenticationError, 4],
    [CredentialMissingError, 5],
    [RefreshError, 6],
    [VaultError, 7],
    [VaultLockedError, 7],
    [VaultCorruptError, 7],
    [VaultVersionError, 7],
    [WrongKeyError, 7],
    [KeySourceError, 7],
    [UnsafePermissionsError, 7],
    [HomeUnavailableError, 7],
    [DaemonUnavailableError, 9],
    [InterruptedError, 130],
  ];
  for (const [ErrorClass, exitCode] of cases) {
    const error = new ErrorClass("message");
    assert.ok(error instanceof AuthsomeError && error instanceof Error, ErrorClass.name);
    assert.equal(error.exitCode, exitCode, ErrorClass.name);
    assert.equal(error.name, ErrorClass.name);
    assert.equal(typeof error.code, "string");
  }
  const hinted = new RefreshError("refresh failed", { hint: "authsome login acme --force" });
  assert.equal(hinted.hint, "authsome login acme --force");
  assert.deepEqual(Object.values(ExitCode).sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7, 9, 130]);
});

Deno.test("credential() refreshes an expired OAuth token through the injected fetch", async () => {
  await using server = await startFakeAuthServer();
  server.seedGrant({
    refreshToken: "refresh-lib-1",
    accessToken: "old-access",
    clientId: "client-1",
  });
  await using home = await libraryHome();
  await home.oauth("acme", server.url, {
    accessToken: "old-access",
    refreshToken: "refresh-lib-1",
    expiresInMs: -60_000,
  });
  const seen: string[] = [];
  const tracing: typeof fetch = (input, init) => {
    seen.push(input instanceof Request ? input.url : String(input));
    return fetch(input, init);
  };
  await using lib = await Authsome.open({
    home: home.home,
    fetch: tracing,
    logger: recordingLogger(),
  });
  const credential = await lib.credential("acme");
  assert.equal(server.tokenRequests().length, 1);
  assert.deepEqual(seen, [`${server.url}/token`]);
  const fresh = server.grant("refresh-lib-1")!.accessTokens.at(-1)!;
  assert.notEqual(fresh, "old-access");
  assert.equal(credential.value.reveal(), fresh);
  assert.equal(credential.header.value.reveal(), `Bearer ${fresh}`);
  assert.ok(Date.parse(credential.expiresAt!) > Date.now());
  // A second call uses the stored fresh token: no second request.
  await lib.credential("acme");
  assert.equal(server.tokenRequests().length, 1);
  const events = (await home.auditEntries()).map((e) => `${e.event}:${e.status}:${e.via}`);
  assert.deepEqual(events, [
    "refresh:success:library",
    "get:success:library",
    "get:success:library",
  ]);
});

Deno.test("a rejected refresh is a RefreshError (6) with the recovery commands", async () => {
  await using server = await startFakeAuthServer();
  server.seedGrant({ refreshToken: "refresh-lib-2", clientId: "client-1" });
  server.faults.push("/token", { oauthError: "invalid_grant" });
  await using home = await libraryHome();
  await home.oauth("acme", server.url, {
    accessToken: "old-access-2",
    refreshToken: "refresh-lib-2",
    expiresInMs: -60_000,
  });
  await using lib = await Authsome.open({ home: home.home, logger: recordingLogger() });
  const error = await lib.credential("acme").then(() => null, (e) => e);
  assert.ok(error instanceof RefreshError, String(error));
  assert.equal(error.exitCode, ExitCode.refreshFailed);
  assert.match(error.message, /refresh failed for acme \(default\): invalid_grant/);
  assert.match(error.hint ?? "", /authsome revoke acme/);
  assert.match(error.hint ?? "", /authsome login acme/);
  const [summary] = await lib.connections();
  assert.equal(summary.status, "invalid");
});

Deno.test("a refresh that cannot reach the provider while the token still works gives the token and a warning", async () => {
  await using server = await startFakeAuthServer();
  server.seedGrant({ refreshToken: "refresh-lib-3", clientId: "client-1" });
  server.faults.push("/token", { status: 503 });
  await using home = await libraryHome();
  await home.oauth("acme", server.url, {
    accessToken: "still-valid-access",
    refreshToken: "refresh-lib-3",
    expiresInMs: 60_000, // inside the 5-minute refresh window, not yet expired
  });
  const logger: Logger & ReturnType<typeof recordingLogger> = recordingLogger();
  await using lib = await Authsome.open({ home: home.home, logger });
  const credential = await lib.credential("acme");
  assert.equal(credential.value.reveal(), "still-valid-access");
  assert.match(credential.warning ?? "", /refresh failed for acme .*using the stored token/);
  assert.ok(
    logger.lines.some((l) => l.level === "warn" && l.message === credential.warning),
    JSON.stringify(logger.lines),
  );
});

Deno.test("a call's AbortSignal cancels a pending token request with InterruptedError (130)", async () => {
  await using server = await startFakeAuthServer();
  server.seedGrant({ refreshToken: "refresh-lib-4", clientId: "client-1" });
  server.faults.push("/token", { delayMs: 5_000 });
  await using home = await libraryHome();
  await home.oauth("acme", server.url, {
    accessToken: "old-access-4",
    refreshToken: "refresh-lib-4",
    expiresInMs: -60_000,
  });
  await using lib = await Authsome.open({ home: home.home, logger: recordingLogger() });
  const controller = new AbortController();
  const started = Date.now();
  const pending = lib.credential("acme", { signal: controller.signal });
  while (server.tokenRequests().length === 0) await new Promise((r) => setTimeout(r, 10));
  controller.abort();
  const error = await pending.then(() => null, (e) => e);
  assert.ok(error instanceof InterruptedError, String(error));
  assert.equal(error.exitCode, 130);
  assert.ok(Date.now() - started < 4_000, "did not wait for the slow provider");
  // Nothing was recorded: the connection is as it was, ready for the next try.
  const [summary] = await lib.connections();
  assert.equal(summary.status, "connected");
  assert.deepEqual(await home.auditEntries(), []);
});

Deno.test("a call's AbortSignal cancels the wait for a vault lock another process holds", async () => {
  await using server = await startFakeAuthServer();
  server.seedGrant({ refreshToken: "refresh-lib-5", clientId: "client-1" });
  await using home = await libraryHome();
  await home.oauth("acme", server.url, {
    accessToken: "old-access-5",
    refreshToken: "refresh-lib-5",
    expiresInMs: -60_000,
  });
  await using lib = await Authsome.open({ home: home.home, logger: recordingLogger() });
  await using _held = await holdLock(`${home.home}/vault.lock`);
  const controller = new AbortController();
  const started = Date.now();
  const pending = lib.credential("acme", { signal: controller.signal });
  setTimeout(() => controller.abort(), 300);
  const error = await pending.then(() => null, (e) => e);
  assert.ok(error instanceof InterruptedError, String(error));
  // The refresh would otherwise wait up to 30 s for the lock.
  assert.ok(Date.now() - started < 5_000, `took ${Date.now() - started} ms`);
  assert.equal(server.tokenRequests().length, 0);
});

Deno.test("an already aborted signal fails the call before anything is read", async () => {
  await using home = await libraryHome();
  await home.apiKey("openai", OPENAI_KEY);
  const controller = new AbortController();
  controller.abort();
  await using lib = await Authsome.open({ home: home.home, logger: recordingLogger() });
  const error = await lib.credential("openai", { signal: controller.signal }).then(
    () => null,
    (e) => e,
  );
  assert.ok(error instanceof InterruptedError, String(error));
  assert.deepEqual(await home.auditEntries(), []);
  // The open() signal works the same way for every call of the handle.
  await using stopped = await Authsome.open({
    home: home.home,
    logger: recordingLogger(),
    signal: controller.signal,
  });
  await assert.rejects(stopped.credential("openai"), InterruptedError);
  await assert.rejects(stopped.connections(), InterruptedError);
});

Deno.test("close() cancels pending calls, and later calls say the handle is closed", async () => {
  await using server = await startFakeAuthServer();
  server.seedGrant({ refreshToken: "refresh-lib-6", clientId: "client-1" });
  server.faults.push("/token", { delayMs: 5_000 });
  await using home = await libraryHome();
  await home.oauth("acme", server.url, {
    accessToken: "old-access-6",
    refreshToken: "refresh-lib-6",
    expiresInMs: -60_000,
  });
  const lib = await Authsome.open({ home: home.home, logger: recordingLogger() });
  const pending = lib.credential("acme");
  while (server.tokenRequests().length === 0) await new Promise((r) => setTimeout(r, 10));
  const started = Date.now();
  await lib.close();
  assert.ok(Date.now() - started < 4_000, "close() did not wait for the slow provider");
  await assert.rejects(pending, InterruptedError);
  const error = await lib.credential("acme").then(() => null, (e) => e);
  assert.ok(error instanceof UsageError, String(error));
  assert.match(error.message, /closed/);
  assert.match(error.hint ?? "", /Authsome\.open/);
  await lib.close(); // twice is fine
});

Deno.test("without a logger, warnings reach the debug log file, flushed by close()", async () => {
  await using server = await startFakeAuthServer();
  server.seedGrant({ refreshToken: "refresh-lib-7", clientId: "client-1" });
  server.faults.push("/token", { status: 503 });
  await using home = await libraryHome();
  await home.oauth("acme", server.url, {
    accessToken: "still-valid-access-7",
    refreshToken: "refresh-lib-7",
    expiresInMs: 60_000,
  });
  const lib = await Authsome.open({ home: home.home });
  const credential = await lib.credential("acme");
  assert.ok(credential.warning);
  await lib.close();
  const log = await Deno.readTextFile(`${home.home}/logs/authsome.log`);
  assert.match(log, /WARN.*refresh failed for acme/);
  assert.ok(!log.includes("still-valid-access-7"));
});

Deno.test("the provider definition types describe a custom provider file", () => {
  const block: Partial<ApiKeyBlock> = { header_name: "X-Api-Key", header_prefix: "" };
  const mode: BasicAuthMode = "key_as_username";
  const authType: AuthType = "api_key";
  const field: ExportField = "api_key";
  const flow: OAuthFlow = "pkce";
  const clientEnv: ClientEnv | undefined = undefined;
  const device: DeviceTokenRequest | undefined = undefined;
  const oauth: OAuthBlock | undefined = undefined;
  const base: Partial<ProviderBase> = { name: "acme" };
  const apiKey: Partial<ApiKeyProviderDefinition> = {
    auth_type: authType,
    api_key: block as ApiKeyBlock,
  };
  const viaOAuth: Partial<OAuthProviderDefinition> = { auth_type: "oauth2" };
  const any: Partial<ProviderDefinition> = apiKey;
  assert.deepEqual([mode, field, flow, base.name, any.auth_type, viaOAuth.auth_type], [
    "key_as_username",
    "api_key",
    "pkce",
    "acme",
    "api_key",
    "oauth2",
  ]);
  assert.equal(clientEnv ?? device ?? oauth, undefined);
});
