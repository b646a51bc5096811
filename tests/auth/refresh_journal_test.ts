/**
 * Never lose a login: the answer of the token endpoint (a rotated refresh token the provider
 * will never send again) survives a kill -9 or a full disk between the answer and the vault
 * write. Against a server that rotates refresh tokens and revokes the grant on replay, the
 * next access gets the rotated token with no second token request, and later refreshes work.
 */
import assert from "node:assert/strict";
import { accessConnection } from "../../src/auth/access.ts";
import { HomeUnavailableError } from "../../src/errors.ts";
import { denoFileSystem } from "../../src/platform/deno.ts";
import { journalPath } from "../../src/vault/journal.ts";
import {
  EXPIRES,
  type OAuthFixture,
  oauthFixture,
  OLD_ACCESS,
  OLD_REFRESH,
} from "./_oauth_fixture.ts";
import { TEST_KEY } from "./_context.ts";

Deno.test.sanitizer?.({ ops: true, resources: true });

const BEFORE_EXPIRY = EXPIRES - 100_000; // inside the refresh window

function enospc(path: string): Error {
  return Object.assign(new Error(`No space left on device (os error 28): open '${path}'`), {
    code: "ENOSPC",
  });
}

/** The next access after the interruption: the rotated token, and the grant still alive. */
async function expectLoginKept(f: OAuthFixture): Promise<void> {
  const rotated = f.server.currentRefreshToken(OLD_REFRESH);
  assert.ok(rotated && rotated !== OLD_REFRESH, "the server rotated the refresh token once");
  const { connection } = await accessConnection(f.ctx, "fakehub", {});
  assert.equal(f.tokenRequests(), 1, "the answer was reused, not asked for again");
  assert.notEqual(connection.accessToken?.reveal(), OLD_ACCESS);
  assert.ok(f.server.isAccessTokenActive(connection.accessToken!.reveal()));
  const stored = await f.stored();
  assert.equal(stored.status, "connected");
  assert.equal(stored.refreshToken?.reveal(), rotated);
  assert.equal(await denoFileSystem.stat(journalPath(f.home)), null, "journal applied, removed");
  // And the login lives on: the next refresh, an hour later, is accepted.
  f.platform.advance(3600_000);
  const later = await accessConnection(f.ctx, "fakehub", {});
  assert.equal(f.tokenRequests(), 2);
  assert.equal(later.connection.status, "connected");
  assert.equal(f.server.isGrantRevoked(OLD_REFRESH), false, "no refresh token was replayed");
}

Deno.test("disk full after the token endpoint answered: exit 7 naming the vault, and the rotated token is kept", async () => {
  await using f = await oauthFixture({ now: BEFORE_EXPIRY });
  f.platform.fs = {
    ...denoFileSystem,
    writeFileAtomic(path, data, options) {
      if (path.endsWith("/vault.enc")) return Promise.reject(enospc(path));
      return denoFileSystem.writeFileAtomic(path, data, options);
    },
  };
  const error = await accessConnection(f.ctx, "fakehub", {}).catch((e) => e);
  assert.ok(error instanceof HomeUnavailableError, String(error));
  assert.equal(error.exitCode, 7);
  assert.equal(
    error.message,
    `cannot write the vault ${f.home}/vault.enc: no space left on device`,
  );
  f.platform.fs = denoFileSystem; // space freed
  await expectLoginKept(f);
});

Deno.test("disk already full: exit 7 before any token request, the login untouched", async () => {
  await using f = await oauthFixture({ now: BEFORE_EXPIRY });
  f.platform.fs = {
    ...denoFileSystem,
    writeFileAtomic: (path) => Promise.reject(enospc(path)),
  };
  const error = await accessConnection(f.ctx, "fakehub", {}).catch((e) => e);
  assert.ok(error instanceof HomeUnavailableError, String(error));
  assert.equal(
    error.message,
    `cannot write the refresh journal ${f.home}/vault.journal: no space left on device`,
  );
  assert.equal(f.tokenRequests(), 0, "nothing was sent that could rotate the token");
  f.platform.fs = denoFileSystem;
  const { connection } = await accessConnection(f.ctx, "fakehub", {});
  assert.equal(connection.status, "connected");
  assert.equal(f.tokenRequests(), 1);
});

Deno.test("kill -9 between the token answer and the vault write: the next process has the rotated token", async () => {
  await using f = await oauthFixture({ now: BEFORE_EXPIRY });
  const worker = new URL("./_refresh_kill_worker.ts", import.meta.url).pathname;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--no-lock", worker, f.home, String(BEFORE_EXPIRY), TEST_KEY],
    clearEnv: true,
    env: { PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin", NO_PROXY: "127.0.0.1,localhost" },
    stdout: "piped",
    stderr: "null",
    stdin: "null",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let said = "";
  while (!said.includes("journaled")) {
    const { value, done } = await reader.read();
    if (done) break;
    said += value;
  }
  child.kill("SIGKILL");
  await reader.cancel();
  const status = await child.status;
  assert.equal(said.trim(), "journaled", "the worker reached the vault write");
  assert.equal(status.signal, "SIGKILL");
  // The journal that outlived its process holds the rotated tokens, sealed: not in the clear.
  const journal = new TextDecoder("latin1").decode(await Deno.readFile(journalPath(f.home)));
  const grant = f.server.grant(OLD_REFRESH)!;
  const secrets = [grant.refreshToken!, grant.accessTokens.at(-1)!];
  for (const secret of secrets) {
    assert.ok(!journal.includes(secret) && !journal.includes(btoa(secret)), "sealed journal");
  }
  await expectLoginKept(f);
});
