import assert from "node:assert/strict";
import {
  AuthenticationError,
  AuthsomeError,
  CredentialMissingError,
  DaemonUnavailableError,
  describeError,
  ExitCode,
  HomeUnavailableError,
  InterruptedError,
  KeySourceError,
  ProviderDefinitionError,
  ProviderNotFoundError,
  RefreshError,
  UnsafePermissionsError,
  UsageError,
  VaultCorruptError,
  VaultError,
  VaultLockedError,
  VaultVersionError,
  WrongKeyError,
} from "../src/errors.ts";

Deno.test("exit codes are those of docs/contract.md §6", () => {
  assert.deepEqual(ExitCode, {
    ok: 0,
    failure: 1,
    usage: 2,
    providerNotFound: 3,
    authenticationFailed: 4,
    credentialMissing: 5,
    refreshFailed: 6,
    vaultUnavailable: 7,
    daemonUnavailable: 9,
    interrupted: 130,
  });
});

Deno.test("each error class carries its exit code, machine code and name", () => {
  const cases: [new (message: string) => AuthsomeError, number, string, string][] = [
    [AuthsomeError, 1, "failure", "AuthsomeError"],
    [UsageError, 2, "usage", "UsageError"],
    [ProviderDefinitionError, 2, "invalid_provider", "ProviderDefinitionError"],
    [ProviderNotFoundError, 3, "provider_not_found", "ProviderNotFoundError"],
    [AuthenticationError, 4, "authentication_failed", "AuthenticationError"],
    [CredentialMissingError, 5, "credential_missing", "CredentialMissingError"],
    [RefreshError, 6, "refresh_failed", "RefreshError"],
    [VaultError, 7, "vault_unavailable", "VaultError"],
    [VaultLockedError, 7, "vault_locked", "VaultLockedError"],
    [VaultCorruptError, 7, "vault_corrupt", "VaultCorruptError"],
    [VaultVersionError, 7, "vault_version", "VaultVersionError"],
    [WrongKeyError, 7, "wrong_key", "WrongKeyError"],
    [KeySourceError, 7, "key_source", "KeySourceError"],
    [UnsafePermissionsError, 7, "unsafe_permissions", "UnsafePermissionsError"],
    [HomeUnavailableError, 7, "home_unavailable", "HomeUnavailableError"],
    [DaemonUnavailableError, 9, "daemon_unavailable", "DaemonUnavailableError"],
    [InterruptedError, 130, "interrupted", "InterruptedError"],
  ];
  const codes = new Set<string>();
  for (const [Class, exitCode, code, name] of cases) {
    const error = new Class("something happened");
    assert.ok(error instanceof Error && error instanceof AuthsomeError, name);
    assert.equal(error.exitCode, exitCode, name);
    assert.equal(error.code, code, name);
    assert.equal(error.name, name);
    assert.equal(error.message, "something happened");
    assert.equal(error.hint, undefined);
    assert.ok(!codes.has(code), `duplicate code ${code}`);
    codes.add(code);
    if (exitCode === 7) assert.ok(error instanceof VaultError, name);
  }
});

Deno.test("hint and cause are kept", () => {
  const cause = new Error("EACCES");
  const error = new HomeUnavailableError("cannot write", { hint: "chmod 700 ~/.authsome", cause });
  assert.equal(error.hint, "chmod 700 ~/.authsome");
  assert.equal(error.cause, cause);
  assert.equal("cause" in new UsageError("x"), false);
});

Deno.test("describeError names the class and message, or stringifies anything else", () => {
  assert.equal(describeError(new WrongKeyError("wrong key")), "WrongKeyError: wrong key");
  assert.equal(describeError(new TypeError("bad")), "TypeError: bad");
  assert.equal(describeError("plain"), "plain");
  assert.equal(describeError(42), "42");
  assert.equal(describeError(undefined), "undefined");
});
