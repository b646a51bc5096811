import assert from "node:assert/strict";
import { auditedLogin } from "../../src/auth/login_audit.ts";
import { HomeUnavailableError } from "../../src/errors.ts";
import { testContext } from "./_context.ts";

Deno.test.sanitizer?.({ ops: true, resources: true });

Deno.test("a login that failed to write the vault reports that, even when the audit log cannot be written either", async () => {
  await using t = await testContext();
  const vaultError = new HomeUnavailableError(
    `cannot write the vault ${t.home}/vault.enc: read-only file system`,
  );
  t.ctx.audit = {
    append: () => Promise.reject(new HomeUnavailableError(`Cannot write the audit log.`)),
  };
  const entry = { provider: "openai", connection: "default", flow: "api_key" };
  const error = await auditedLogin(t.ctx, entry, () => Promise.reject(vaultError)).catch((e) => e);
  assert.equal(error, vaultError);
});
