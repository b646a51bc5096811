/**
 * `deno task stress`: durability campaigns against the real CLI, the real vault and the fake
 * OAuth server (which rotates refresh tokens and revokes the grant when an old one is
 * replayed, so a lost rotated token shows up as a lost login). Not part of `deno task ok`:
 * it takes minutes. Prints a figure table; exits 1 if any campaign misses its target.
 *
 * - kill: kill -9 at random points of refreshing `get`s and of `login` writes; after each kill
 *   a clean `get` must find the login `connected` and the vault readable. Target: 0 lost logins.
 * - full disk: the home on a small tmpfs filled to a random level before each refreshing `get`
 *   (needs root and mount; otherwise an injected ENOSPC, and the table says so). Target: exit 0
 *   or 7 (never 1), the 7 naming the path and "no space left on device", 0 lost logins.
 * - writers: 8 processes x 100 concurrent writers, each a read-modify-write of one shared
 *   counter plus its own record. Target: counter = 800 and 800 records (no lost update).
 * - race: 30 and 100 `get` processes at once on an expiring token. Target: 1 token request,
 *   one token printed by all.
 * - fuzz: random byte flips, truncations and extensions of a vault file (and of a journal).
 *   Target: always a typed vault error (exit 7 from the CLI), never a crash or a wrong answer.
 *
 * Usage: deno task stress [--kills N] [--disk N] [--fuzz N] [--only kill,disk,writers,race,fuzz]
 * Internal: `stress.ts writer <home> <writers>` is one writer process.
 */
// deno-lint-ignore-file no-console -- a stress script reports on stdout
import { VaultError } from "../src/errors.ts";
import { homePaths } from "../src/model/home.ts";
import { denoFileSystem, denoPlatform } from "../src/platform/deno.ts";
import type { Platform } from "../src/platform/types.ts";
import { journalPath } from "../src/vault/journal.ts";
import { isVaultLeftover } from "../src/vault/leftovers.ts";
import { type RecordData, Vault } from "../src/vault/vault.ts";
import {
  clearProxyEnv,
  type FakeAuthServer,
  startFakeAuthServer,
} from "../tests/_fakes/oauth_server.ts";
import { CLI, cliEnv, type CliResult, runCli, runProcess } from "../tests/e2e/_cli.ts";
import {
  fromNow,
  MASTER_KEY,
  oauthEnv,
  seedConnection,
  writeProvider,
} from "../tests/e2e/_oauth_setup.ts";

const args = Deno.args;
const option = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const platformWithKey = (): Platform => ({
  ...denoPlatform(),
  env: (name) => (name === "AUTHSOME_MASTER_KEY" ? MASTER_KEY : undefined),
});
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

if (args[0] === "writer") {
  // One process of the writers campaign.
  const [, home, count] = args;
  const vault = new Vault(platformWithKey(), homePaths(home), { lockTimeoutMs: 600_000 });
  await Promise.all(Array.from({ length: Number(count) }, (_, i) =>
    vault.update(async (tx) => {
      const counter = ((await tx.get("counter"))?.n as number | undefined) ?? 0;
      tx.put("counter", { n: counter + 1 });
      tx.put(`writer/${Deno.pid}/${i}`, { pid: Deno.pid, i });
    })));
  Deno.exit(0);
}

interface Figure {
  campaign: string;
  figure: string;
  value: string;
  target: string;
  ok: boolean;
}
const figures: Figure[] = [];
function figure(campaign: string, name: string, value: number | string, target = "", ok = true) {
  figures.push({ campaign, figure: name, value: String(value), target, ok });
}

const only = args.includes("--only") ? args[args.indexOf("--only") + 1].split(",") : null;
const wanted = (name: string) => only === null || only.includes(name);
const work = await Deno.makeTempDir({ prefix: "authsome-stress-" });
clearProxyEnv();
const env = oauthEnv();
let homeCounter = 0;

/** A home with the `fakehub` provider and a connection inside its refresh window. */
async function oauthHome(server: FakeAuthServer, base = work): Promise<string> {
  const home = `${base}/home-${homeCounter++}`;
  await Deno.mkdir(home, { recursive: true, mode: 0o700 });
  await Deno.mkdir(`${home}/../user`, { recursive: true });
  await writeProvider(home, server.url);
  const refreshToken = `rt-seed-${homeCounter}`;
  server.seedGrant({
    refreshToken,
    accessToken: `at-seed-${homeCounter}`,
    clientId: "authsome-test",
  });
  await seedConnection(home, {
    accessToken: `at-seed-${homeCounter}`,
    refreshToken,
    expiresAt: fromNow(100),
  });
  return home;
}

function spawnCli(home: string, cliArgs: string[], stdin?: string): Deno.ChildProcess {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--no-lock", CLI, ...cliArgs],
    clearEnv: true,
    env: cliEnv(home, env),
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (stdin !== undefined) {
    const writer = child.stdin.getWriter();
    writer.write(new TextEncoder().encode(stdin)).then(() => writer.close()).catch(() => {});
  }
  return child;
}

async function timed(home: string, cliArgs: string[], stdin?: string): Promise<number> {
  const started = performance.now();
  const result = await runCli(cliArgs, { home, env, stdin });
  if (result.code !== 0) throw new Error(`${cliArgs.join(" ")}: ${result.stderr}`);
  return performance.now() - started;
}

/** Whether the journal file in `home` holds a committed (not merely reserved) entry. */
function journalState(home: string): "none" | "reserved" | "committed" {
  try {
    const bytes = Deno.readFileSync(journalPath(home));
    return new DataView(bytes.buffer).getUint32(24) === 0 ? "reserved" : "committed";
  } catch {
    return "none";
  }
}

function leftoverCount(home: string): number {
  return [...Deno.readDirSync(home)].filter((e) => isVaultLeftover(e.name)).length;
}

/** A clean `get`: the login must be connected (this refreshes: tokens live 120 s). */
async function loginAlive(home: string): Promise<CliResult & { alive: boolean }> {
  const result = await runCli(["get", "fakehub", "--field", "status"], { home, env });
  return { ...result, alive: result.code === 0 && result.stdout.trim() === "connected" };
}

async function killCampaign(kills: number) {
  const name = "kill -9";
  // Tokens issued already due (expires_in 0): every `get` refreshes, whatever the window rule.
  await using server = await startFakeAuthServer({ accessTokenTtl: 0 });
  let home = await oauthHome(server);
  const getRuns: number[] = [];
  const loginRuns: number[] = [];
  for (let i = 0; i < 3; i++) {
    getRuns.push(await timed(home, ["get", "fakehub", "--field", "access_token"]));
    loginRuns.push(await timed(home, ["login", "openai", "--force"], `sk-stress${"k".repeat(40)}`));
  }
  const fullGet = Math.max(...getRuns);
  const fullLogin = Math.max(...loginRuns);
  let lostDurable = 0, lostInFlight = 0, afterAnswer = 0, journalsCommitted = 0;
  let journalsReserved = 0, lostAnswerSent = 0, lostUniform = 0, uniformKills = 0;
  let leftoversSeen = 0, leftoversAfter = 0, unreadable = 0, refreshKills = 0, writeKills = 0;
  let finishedFirst = 0;
  for (let i = 0; i < kills; i++) {
    const write = i % 3 === 2;
    const before = server.tokenRequests().length;
    const child = write
      ? spawnCli(
        home,
        ["login", "openai", "--connection", `c${i % 4}`, "--force"],
        `sk-stress${"w".repeat(40)}`,
      )
      : spawnCli(home, ["get", "fakehub", "--field", "access_token"]);
    if (write) {
      await sleep(Math.random() * fullLogin);
    } else {
      if (i % 2 === 0) {
        await sleep(Math.random() * fullGet);
      } else {
        // Aim at the refresh itself: from the token request's arrival to a little past the end.
        const deadline = performance.now() + fullGet * 3;
        while (server.tokenRequests().length === before && performance.now() < deadline) {
          await sleep(1);
        }
        await sleep(Math.random() * 40);
      }
    }
    const requests = server.tokenRequests();
    const answered = requests.length > before && requests[requests.length - 1].status !== 0;
    try {
      child.kill("SIGKILL");
    } catch { /* already exited */ }
    const { signal } = await child.output();
    if (signal !== "SIGKILL") {
      finishedFirst++;
      continue;
    }
    if (write) writeKills++;
    else refreshKills++;
    if (!write && i % 2 === 0) uniformKills++;
    if (answered) afterAnswer++;
    const journal = journalState(home);
    if (journal === "committed") journalsCommitted++;
    if (journal === "reserved") journalsReserved++;
    leftoversSeen += leftoverCount(home);
    const check = await loginAlive(home);
    const listed = await runCli(["list", "--json"], { home, env });
    if (listed.code !== 0) unreadable++;
    leftoversAfter += leftoverCount(home);
    if (!check.alive) {
      if (!write && i % 2 === 0) lostUniform++;
      if (journal === "committed") lostDurable++;
      else if (answered) lostAnswerSent++;
      else lostInFlight++;
      console.error(`kill ${i}: login lost (${check.code}) ${check.stderr.trim()}`);
      home = await oauthHome(server);
    }
  }
  figure(name, "attempts (the process finished before the kill)", `${kills} (${finishedFirst})`);
  figure(name, "kills during refreshing `get`", refreshKills);
  figure(name, "kills during `login` writes", writeKills);
  figure(name, "kills after the token endpoint answered", afterAnswer);
  figure(name, "committed journals found and applied", journalsCommitted);
  figure(name, "bare journal reservations found (removed)", journalsReserved);
  figure(name, "temp vault copies found after a kill", leftoversSeen);
  figure(
    name,
    "temp vault copies left after the next command",
    leftoversAfter,
    "0",
    leftoversAfter === 0,
  );
  figure(name, "vault unreadable after a kill", unreadable, "0", unreadable === 0);
  figure(name, "lost logins once the answer was journaled", lostDurable, "0", lostDurable === 0);
  figure(name, "lost: killed while the server processed the request", lostInFlight, "-");
  figure(name, "lost: killed after the answer was sent, before the journal", lostAnswerSent, "-");
  figure(
    name,
    "lost among refresh kills at uniform random times",
    `${lostUniform} of ${uniformKills}`,
    "-",
  );
}

/** Runs `fn` with a home on a small tmpfs, or returns false if mounting is not permitted. */
async function withTmpfs(fn: (mount: string) => Promise<void>): Promise<boolean> {
  const mount = `${work}/tmpfs`;
  await Deno.mkdir(mount);
  const mounted = await new Deno.Command("mount", {
    args: ["-t", "tmpfs", "-o", "size=4m,mode=0700", "tmpfs", mount],
    stderr: "null",
    stdout: "null",
  }).output().catch(() => ({ success: false }));
  if (!mounted.success) return false;
  try {
    await fn(mount);
  } finally {
    await new Deno.Command("umount", { args: [mount] }).output();
  }
  return true;
}

/** Leaves `free` bytes free on the file system of `dir` (a tmpfs), with a filler file. */
async function fillTo(dir: string, free: number): Promise<void> {
  const filler = `${dir}/filler`;
  await Deno.remove(filler).catch(() => {});
  using file = await Deno.open(filler, { write: true, create: true });
  const chunk = new Uint8Array(64 * 1024).fill(1);
  let size = 0;
  try {
    for (;;) size += await file.write(chunk);
  } catch { /* ENOSPC: full */ }
  await file.truncate(Math.max(0, size - free));
}

async function diskCampaign(rounds: number) {
  const name = "full disk";
  await using server = await startFakeAuthServer({ accessTokenTtl: 0 });
  let exit0 = 0, exit7 = 0, otherExit = 0, unclear = 0, lost = 0, beforeRequest = 0;
  let afterAnswer = 0;
  const real = await withTmpfs(async (mount) => {
    let home = await oauthHome(server, mount);
    await runCli(["get", "fakehub", "--field", "access_token"], { home, env });
    for (let i = 0; i < rounds; i++) {
      const before = server.tokenRequests().length;
      // A third each: too full for the journal's reservation, room for the reservation but not
      // for the vault write that follows the answer, room for both.
      const band = i % 3;
      const free = band === 0
        ? Math.random() * 60 * 1024
        : band === 1
        ? 64 * 1024 + Math.random() * 4 * 1024
        : 72 * 1024 + Math.random() * 24 * 1024;
      await fillTo(mount, Math.floor(free));
      const result = await runCli(["get", "fakehub", "--field", "access_token"], { home, env });
      if (result.code === 0) exit0++;
      else if (result.code === 7) {
        exit7++;
        if (server.tokenRequests().length === before) beforeRequest++;
        else if (journalState(home) === "committed") afterAnswer++;
        if (!/cannot write .* \/.*: no space left on device/.test(result.stderr)) {
          unclear++;
          console.error(`unclear: ${result.stderr}`);
        }
      } else {
        otherExit++;
        console.error(`exit ${result.code}: ${result.stderr}`);
      }
      await Deno.remove(`${mount}/filler`);
      const check = await loginAlive(home);
      if (!check.alive) {
        lost++;
        console.error(`round ${i}: login lost: ${check.stderr}`);
        home = await oauthHome(server, mount);
      }
    }
  });
  if (!real) {
    // No tmpfs here: the same sequence through an injected file system that answers ENOSPC.
    const { accessConnection } = await import("../src/auth/access.ts");
    const { createContext } = await import("../src/auth/context.ts");
    for (let i = 0; i < rounds; i++) {
      const home = await oauthHome(server);
      const platform = platformWithKey();
      const failAt = Math.floor(Math.random() * 3); // 0: journal reservation, 1: vault, 2: none
      platform.fs = {
        ...denoFileSystem,
        writeFileAtomic(path, data, options) {
          const target = failAt === 0 ? "/vault.journal" : failAt === 1 ? "/vault.enc" : "-";
          if (path.endsWith(target)) {
            return Promise.reject(
              Object.assign(new Error("No space left on device"), { code: "ENOSPC" }),
            );
          }
          return denoFileSystem.writeFileAtomic(path, data, options);
        },
      };
      const silent = { debug() {}, info() {}, warn() {}, error() {} };
      const ctx = createContext(platform, {
        home,
        log: silent,
        audit: { append: () => Promise.resolve() },
      });
      const before = server.tokenRequests().length;
      try {
        await accessConnection(ctx, "fakehub", {});
        exit0++;
      } catch (error) {
        if (error instanceof VaultError && /no space left on device/.test(error.message)) {
          exit7++;
          if (server.tokenRequests().length === before) beforeRequest++;
        } else otherExit++;
      }
      if (!(await loginAlive(home)).alive) lost++;
    }
  }
  const how = real ? "real tmpfs, CLI" : "injected ENOSPC (mount not permitted)";
  figure(name, `rounds (${how})`, rounds);
  figure(name, "exit 0", exit0);
  figure(
    name,
    "exit 7: before the token request / answer kept in the journal",
    `${exit7}: ${beforeRequest} / ${afterAnswer}`,
  );
  figure(name, "other exit codes", otherExit, "0", otherExit === 0);
  figure(name, "exit 7 without path and reason", unclear, "0", unclear === 0);
  figure(name, "lost logins", lost, "0", lost === 0);
}

async function writersCampaign(processes: number, writers: number) {
  const name = "writers";
  const home = `${work}/writers`;
  const started = performance.now();
  const script = new URL(import.meta.url).pathname;
  const results = await Promise.all(
    Array.from({ length: processes }, () =>
      new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", "--no-lock", script, "writer", home, String(writers)],
        stdout: "null",
        stderr: "piped",
      }).output()),
  );
  const failed = results.filter((r) => !r.success);
  for (const r of failed) console.error(new TextDecoder().decode(r.stderr));
  const snapshot = await new Vault(platformWithKey(), homePaths(home)).read();
  const counter = ((await snapshot.get("counter")) as RecordData | null)?.n;
  const records = (await snapshot.list("writer/")).size;
  const expected = processes * writers;
  figure(name, `processes x writers`, `${processes} x ${writers}`);
  figure(name, "failed processes", failed.length, "0", failed.length === 0);
  figure(name, "shared counter", String(counter), String(expected), counter === expected);
  figure(name, "records written", records, String(expected), records === expected);
  figure(name, "vault generation", String(snapshot.header?.generation), String(expected));
  figure(name, "wall time", `${((performance.now() - started) / 1000).toFixed(1)} s`);
}

async function raceCampaign(size: number) {
  const name = `race ${size}`;
  await using server = await startFakeAuthServer({ accessTokenTtl: 3600 });
  const home = await oauthHome(server);
  const started = performance.now();
  // The clients run at a lower priority than this process: a real token endpoint does not share
  // two CPU cores with 100 clients starting at once. Without it the one refresher's token request
  // can starve past its 10 s timeout, and a timed-out refresh that the server did process loses
  // the login whatever the client does next (see docs/durability.md).
  const argv = ["-n", "15", Deno.execPath(), "run", "-A", "--no-lock", CLI];
  const results = await Promise.all(
    Array.from({ length: size }, () =>
      runProcess("nice", {
        args: [...argv, "get", "fakehub", "--field", "access_token"],
        clearEnv: true,
        env: cliEnv(home, env),
      })),
  );
  const failed = results.filter((r) => r.code !== 0);
  for (const r of failed.slice(0, 3)) console.error(`exit ${r.code}: ${r.stderr}`);
  const tokens = new Set(results.filter((r) => r.code === 0).map((r) => r.stdout.trim()));
  const requests = server.tokenRequests().length;
  if (requests !== 1) {
    // Say why: the audit log has every refresh attempt with its reason.
    const audit = await Deno.readTextFile(`${home}/audit.log`).catch(() => "");
    const refreshes = audit.split("\n").filter((line) => line.includes('"refresh"'));
    console.error(
      `race ${size}: ${requests} token requests; refresh attempts:\n${refreshes.join("\n")}`,
    );
  }
  figure(name, "processes", size);
  figure(name, "failed processes", failed.length, "0", failed.length === 0);
  figure(name, "token requests", requests, "1", requests === 1);
  figure(name, "distinct tokens printed", tokens.size, "1", tokens.size === 1);
  figure(name, "wall time", `${((performance.now() - started) / 1000).toFixed(1)} s`);
}

function mutate(bytes: Uint8Array): { bytes: Uint8Array; how: string } {
  const pick = Math.random();
  if (pick < 0.5) {
    const out = bytes.slice();
    const flips = 1 + Math.floor(Math.random() * 4);
    for (let i = 0; i < flips; i++) {
      out[Math.floor(Math.random() * out.length)] ^= 1 << Math.floor(Math.random() * 8);
    }
    return { bytes: out, how: "flip" };
  }
  if (pick < 0.8) {
    return { bytes: bytes.slice(0, Math.floor(Math.random() * bytes.length)), how: "truncate" };
  }
  const extra = crypto.getRandomValues(new Uint8Array(1 + Math.floor(Math.random() * 64)));
  const out = new Uint8Array(bytes.length + extra.length);
  out.set(bytes, 0);
  out.set(extra, bytes.length);
  return { bytes: out, how: "extend" };
}

async function fuzzCampaign(cases: number, cliCases: number) {
  const name = "fuzz";
  const home = `${work}/fuzz`;
  const vault = new Vault(platformWithKey(), homePaths(home));
  await vault.update((tx) => {
    for (let i = 0; i < 20; i++) tx.put(`connection/default/p${i}/default`, { api_key: `k-${i}` });
  });
  const original = Deno.readFileSync(`${home}/vault.enc`);
  const expected = JSON.stringify([...(await vault.read().then((s) => s.list("")))]);
  let typed = 0, crashes = 0, wrong = 0, unchanged = 0;
  const path = `${home}/vault.enc`;
  for (let i = 0; i < cases; i++) {
    const { bytes } = mutate(original);
    Deno.writeFileSync(path, bytes);
    try {
      const snapshot = await new Vault(platformWithKey(), homePaths(home)).read();
      const got = JSON.stringify([...(await snapshot.list(""))]);
      if (got === expected) unchanged++;
      else wrong++;
    } catch (error) {
      if (error instanceof VaultError && error.exitCode === 7) typed++;
      else {
        crashes++;
        console.error(`crash: ${error}`);
      }
    }
  }
  let cliExit7 = 0, cliOther = 0;
  for (let i = 0; i < cliCases; i++) {
    Deno.writeFileSync(path, mutate(original).bytes);
    const result = await runCli(["list", "--json"], { home, env });
    const clean = /"error":\s*"vault_/.test(result.stdout) && !/\n\s+at /.test(result.stderr);
    if (result.code === 7 && clean) cliExit7++;
    else {
      cliOther++;
      console.error(`cli: exit ${result.code} ${result.stdout} ${result.stderr}`);
    }
  }
  // The journal: a damaged entry is discarded whole, never half-applied.
  Deno.writeFileSync(path, original);
  let journalApplied = 0, journalDiscarded = 0, journalWrong = 0;
  const id = "connection/default/p0/default";
  const failing = platformWithKey();
  failing.fs = {
    ...denoFileSystem,
    writeFileAtomic: (p, d, o) =>
      p.endsWith("/vault.enc")
        ? Promise.reject(Object.assign(new Error("full"), { code: "ENOSPC" }))
        : denoFileSystem.writeFileAtomic(p, d, o),
  };
  await new Vault(failing, homePaths(home)).update(async (tx) => {
    tx.put(id, { api_key: "k-journaled" });
    await tx.journal();
  }).catch(() => {});
  const reserved = Deno.readFileSync(journalPath(home));
  // Only the entry: flips and cuts in the zero padding after it would prove nothing.
  const journal = reserved.slice(0, 40 + new DataView(reserved.buffer).getUint32(24));
  for (let i = 0; i < Math.min(cases, 500); i++) {
    Deno.writeFileSync(path, original);
    Deno.writeFileSync(journalPath(home), mutate(journal).bytes, { mode: 0o600 });
    const got = await (await new Vault(platformWithKey(), homePaths(home)).read()).get(id);
    if (got?.api_key === "k-journaled") journalApplied++;
    else if (got?.api_key === "k-0") journalDiscarded++;
    else journalWrong++;
  }
  figure(name, "vault mutations (flip, truncate, extend)", cases);
  figure(
    name,
    "typed vault errors (exit 7)",
    typed,
    String(cases - unchanged),
    typed + unchanged === cases,
  );
  figure(name, "crashes (untyped errors)", crashes, "0", crashes === 0);
  figure(name, "wrong answers", wrong, "0", wrong === 0);
  figure(
    name,
    "CLI runs on a damaged vault: exit 7, JSON error, no stack",
    `${cliExit7} of ${cliCases}`,
    String(cliCases),
    cliOther === 0,
  );
  figure(
    name,
    "journal mutations: applied whole / discarded whole",
    `${journalApplied} / ${journalDiscarded}`,
  );
  figure(name, "journal mutations half-applied or wrong", journalWrong, "0", journalWrong === 0);
}

const campaignStart = performance.now();
try {
  if (wanted("race")) {
    await raceCampaign(30);
    await raceCampaign(100);
  }
  if (wanted("writers")) await writersCampaign(8, 100);
  if (wanted("fuzz")) await fuzzCampaign(option("fuzz", 3000), 20);
  if (wanted("disk")) await diskCampaign(option("disk", 40));
  if (wanted("kill")) await killCampaign(option("kills", 150));
} finally {
  await Deno.remove(work, { recursive: true }).catch(() => {});
}

const columns = ["campaign", "figure", "value", "target", "ok"] as const;
const rows = figures.map((f) => [f.campaign, f.figure, f.value, f.target, f.ok ? "yes" : "NO"]);
const widths = columns.map((c, i) => Math.max(c.length, ...rows.map((r) => r[i].length)));
const line = (cells: readonly string[]) =>
  `| ${cells.map((cell, i) => cell.padEnd(widths[i])).join(" | ")} |`;
console.log(line(columns));
console.log(`|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`);
for (const row of rows) console.log(line(row));
const failed = figures.filter((f) => !f.ok);
console.log(
  `\n${failed.length === 0 ? "all targets met" : `${failed.length} target(s) missed`} ` +
    `in ${((performance.now() - campaignStart) / 1000).toFixed(0)} s`,
);
Deno.exit(failed.length === 0 ? 0 : 1);
