/**
 * Health checks for `doctor`: home, permissions, key, vault, providers, logs. Read-only: it
 * never rewrites the vault (a write would replace `vault.enc.bak`, the user's way back).
 *
 * @module
 */
import { AuthsomeError, describeError } from "../errors.ts";
import { findVaultLeftovers } from "../vault/leftovers.ts";
import type { AuthsomeContext } from "./context.ts";
import { connectionChecks } from "./doctor_connections.ts";
import { keyHeldByDaemon } from "./key_mode.ts";

/** One check's result. */
export interface CheckResult {
  name: string;
  ok: boolean;
  detail: string;
  hint?: string;
  /** Passed, but needs attention (printed as WARN; `doctor` still exits 0). */
  warning?: boolean;
}

async function check(name: string, body: () => Promise<string>): Promise<CheckResult> {
  try {
    return { name, ok: true, detail: await body() };
  } catch (error) {
    return {
      name,
      ok: false,
      detail: error instanceof AuthsomeError ? error.message : describeError(error),
      hint: error instanceof AuthsomeError ? error.hint : undefined,
    };
  }
}

class CheckFailure extends AuthsomeError {}

/** Runs every check. */
export async function runDoctor(ctx: AuthsomeContext): Promise<CheckResult[]> {
  const { fs } = ctx.platform;
  const paths = ctx.paths;
  const results: CheckResult[] = [];
  results.push(
    await check("home", async () => {
      const info = await fs.stat(paths.home);
      if (!info) {
        throw new CheckFailure(`${paths.home} does not exist`, { hint: "authsome init" });
      }
      if (!info.isDirectory) throw new CheckFailure(`${paths.home} is not a directory`);
      if (info.mode !== null && (info.mode & 0o077) !== 0) {
        throw new CheckFailure(
          `${paths.home} is accessible by other users (mode ${info.mode.toString(8)})`,
          { hint: `chmod 700 ${paths.home}` },
        );
      }
      const probe = `${paths.home}/.doctor-${ctx.platform.pid}.tmp`;
      await fs.writeFileAtomic(probe, new Uint8Array([1]), { mode: 0o600 });
      await fs.remove(probe);
      return `${paths.home} exists, is private and writable`;
    }),
  );
  results.push(
    await check("permissions", async () => {
      const files = [
        paths.masterKey,
        paths.vault,
        paths.vaultBackup,
        paths.config,
        paths.auditLog,
        ...(await fs.readDir(paths.logs)).map((name) => `${paths.logs}/${name}`),
        ...(await fs.readDir(paths.providers)).map((name) => `${paths.providers}/${name}`),
      ];
      const loose: string[] = [];
      let checked = 0;
      for (const file of files) {
        const info = await fs.stat(file);
        if (!info || !info.isFile) continue;
        checked++;
        if (info.mode !== null && (info.mode & 0o077) !== 0) loose.push(file);
      }
      if (loose.length > 0) {
        throw new CheckFailure(`readable by other users: ${loose.join(", ")}`, {
          hint: `chmod 600 ${loose.join(" ")}`,
        });
      }
      return `${checked} files are 0600`;
    }),
  );
  results.push(
    await check("vault", async () => {
      const held = await keyHeldByDaemon(ctx);
      if (held?.daemonRunning) {
        return "key mode daemon: the key is held by the running daemon only, so the vault is " +
          "not opened here (AUTHSOME_PASSPHRASE=... authsome doctor checks it)";
      }
      if (held) {
        throw new CheckFailure(
          "key mode daemon: no daemon holds the vault key, so nothing can use the vault",
          { hint: "authsome daemon unlock" },
        );
      }
      const snapshot = await ctx.vault.read();
      if (!snapshot.header) return "no vault yet (it is created on first login)";
      const records = await snapshot.list("");
      return `key accepted, file MAC verified, ${records.size} records decrypted ` +
        `(generation ${snapshot.header.generation})`;
    }),
  );
  results.push(
    await check("lock", async () => {
      if (!(await fs.stat(paths.home))) return "no home yet";
      const lock = await fs.lock(paths.vaultLock, 2000);
      if (!lock) {
        throw new CheckFailure("vault.lock is held by another process", {
          hint: `fuser ${paths.vaultLock}`,
        });
      }
      await lock.release();
      return "vault.lock can be taken";
    }),
  );
  results.push(
    await check("leftovers", async () => {
      // Doctor only reports: the removal happens under vault.lock, in any command that writes.
      const names = await findVaultLeftovers(fs, paths.home);
      if (names.length === 0) return "no temp vault copies left by interrupted writes";
      throw new CheckFailure(
        `${names.length} temp vault ${names.length === 1 ? "copy" : "copies"} left by ` +
          `interrupted writes (they may hold deleted secrets): ${names.join(", ")}`,
        { hint: "authsome init    # removes them under the vault lock" },
      );
    }),
  );
  results.push(
    await check("providers", async () => {
      const registry = await ctx.providers();
      if (registry.warnings.length > 0) {
        throw new CheckFailure(
          registry.warnings.map((w) => `${w.file}: ${w.message}`).join("; "),
          { hint: `Fix or delete the file, then: authsome register <file> --force` },
        );
      }
      const custom = registry.list().filter((e) => e.source === "custom").length;
      return `${registry.list().length} providers (${custom} custom)`;
    }),
  );
  results.push(
    await check("logs", async () => {
      const text = await fs.readTextFile(paths.auditLog);
      if (text === null) return "no audit log yet";
      const lines = text.split("\n").filter((line) => line.length > 0);
      const bad = lines.filter((line) => {
        try {
          JSON.parse(line);
          return false;
        } catch {
          return true;
        }
      }).length;
      if (bad > 0) throw new CheckFailure(`audit.log has ${bad} unreadable lines`);
      return `audit.log: ${lines.length} entries`;
    }),
  );
  results.push(...await connectionChecks(ctx));
  return results;
}
