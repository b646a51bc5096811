import assert from "node:assert/strict";
import { MAX_PER_WINDOW, RefusalAudit, WINDOW_MS } from "../../src/grants/refusal_audit.ts";

Deno.test("refusal audit: a window admits its quota per grant, then counts what it left out", () => {
  const audit = new RefusalAudit();
  for (let i = 0; i < MAX_PER_WINDOW; i++) assert.deepEqual(audit.admit("a", 0), { suppressed: 0 });
  assert.equal(audit.admit("a", 1), null);
  assert.equal(audit.admit("a", 2), null);
  assert.deepEqual(audit.admit("b", 2), { suppressed: 0 }, "grants are counted apart");
  assert.deepEqual(audit.admit("a", WINDOW_MS), { suppressed: 2 });
  assert.deepEqual(audit.admit("a", WINDOW_MS + 1), { suppressed: 0 });
});
