// Appends `count` entries tagged `tag` to the audit log of `home`: one process of the
// cross-process concurrency test.
import { AuditLog } from "../../src/audit/audit_log.ts";
import { denoPlatform } from "../../src/platform/deno.ts";

const [home, tag, count] = Deno.args;
const audit = new AuditLog(denoPlatform(), home);
const padding = "y".repeat(8 * 1024);
for (let i = 0; i < Number(count); i++) {
  await audit.append({ event: "run", provider: tag, status: "success", nth: i, command: padding });
}
