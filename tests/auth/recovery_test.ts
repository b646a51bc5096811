import assert from "node:assert/strict";
import { fixCommand } from "../../src/auth/recovery.ts";
import type { Connection } from "../../src/model/connection.ts";
import { connection } from "./_context.ts";

function hub(fields: Partial<Connection>): Connection {
  return connection({ provider: "hub", authType: "oauth2", ...fields });
}

Deno.test("fixCommand: nothing to fix for a connected connection", () => {
  assert.equal(fixCommand(hub({})), null);
});

Deno.test("fixCommand: a dead grant logs in again to that one connection, never revoke", () => {
  const invalid = { status: "invalid", lastRefreshError: "invalid_grant" } as const;
  assert.equal(fixCommand(hub(invalid)), "authsome login hub --force");
  assert.equal(
    fixCommand(hub({ ...invalid, connectionName: "work" })),
    "authsome login hub --connection work --force",
  );
  assert.equal(
    fixCommand(hub({ ...invalid, connectionName: "ci", profile: "bots" })),
    "authsome login hub --connection ci --profile bots --force",
  );
  assert.equal(
    fixCommand(hub({ status: "invalid", lastRefreshError: "expired_token" })),
    "authsome login hub --force",
  );
  // Invalid without a recorded reason (written by another version): a new login still fixes it.
  assert.equal(fixCommand(hub({ status: "invalid" })), "authsome login hub --force");
});

Deno.test("fixCommand: a rejected client is cleared with revoke (login --force would reuse it)", () => {
  assert.equal(
    fixCommand(hub({ status: "invalid", lastRefreshError: "invalid_client" })),
    "authsome revoke hub && authsome login hub",
  );
  assert.equal(
    fixCommand(
      hub({
        status: "invalid",
        lastRefreshError: "unauthorized_client",
        connectionName: "ci",
        profile: "bots",
      }),
    ),
    "authsome revoke hub --profile bots && authsome login hub --connection ci --profile bots",
  );
});

Deno.test("fixCommand: expired after a network failure retries; nothing to refresh with logs in", () => {
  assert.equal(
    fixCommand(hub({ status: "expired", lastRefreshError: "connection timed out" })),
    "authsome get hub --field status",
  );
  assert.equal(
    fixCommand(
      hub({
        status: "expired",
        lastRefreshError: "HTTP 503 from token endpoint",
        connectionName: "w",
      }),
    ),
    "authsome get hub --connection w --field status",
  );
  assert.equal(
    fixCommand(hub({ status: "expired", lastRefreshError: "no refresh token stored" })),
    "authsome login hub --force",
  );
});
