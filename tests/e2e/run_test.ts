/**
 * `authsome run --env`: credentials in the child's environment (never its argv), the child's
 * exit code, Ctrl-C forwarded, an audit entry without secrets.
 */
import assert from "node:assert/strict";
import { tempHome } from "../_fakes/platform.ts";
import { CLI, runCli } from "./_cli.ts";

const KEY = "sk-runtest-abcdefghijklmnopqrstuvwxyz";

async function loggedIn() {
  const dir = await tempHome();
  const login = await runCli(["login", "openai"], {
    home: dir.home,
    env: { OPENAI_API_KEY: KEY },
  });
  assert.equal(login.code, 0, login.stderr);
  return dir;
}

async function loggedInToOpenaiAndResend() {
  const dir = await loggedIn();
  await runCli(["login", "resend"], {
    home: dir.home,
    env: { RESEND_API_KEY: "re_abcdefghijklmnop" },
  });
  return dir;
}

Deno.test("run --env: the child sees the key under its export name and its exit code is returned", async () => {
  await using dir = await loggedIn();
  const out = await runCli(
    [
      "run",
      "--env",
      "--",
      "sh",
      "-c",
      'printf %s "$OPENAI_API_KEY" > "$1"; exit 7',
      "sh",
      `${dir.home}/../seen`,
    ],
    { home: dir.home },
  );
  assert.equal(out.code, 7, out.stderr);
  assert.equal(await Deno.readTextFile(`${dir.home}/../seen`), KEY);
  const audit = (await Deno.readTextFile(`${dir.home}/audit.log`)).trim().split("\n").map((l) =>
    JSON.parse(l)
  );
  const entry = audit.find((e) => e.event === "run");
  assert.equal(entry.command, "sh");
  assert.deepEqual(entry.providers, ["openai/default"]);
  assert.equal(entry.exit_code, 7);
  assert.ok(!JSON.stringify(audit).includes(KEY));
});

Deno.test("run --env --provider limits what is injected", async () => {
  await using dir = await loggedInToOpenaiAndResend();
  const out = await runCli(
    [
      "run",
      "--env",
      "--provider",
      "resend",
      "--",
      "sh",
      "-c",
      'echo "${OPENAI_API_KEY:-none} ${RESEND_API_KEY:+set}"',
    ],
    { home: dir.home },
  );
  assert.equal(out.code, 0, out.stderr);
  assert.equal(out.stdout, "none set\n");
});

Deno.test("run --env --provider takes a comma-separated list, as the README writes it", async () => {
  await using dir = await loggedInToOpenaiAndResend();
  const out = await runCli(
    [
      "run",
      "--env",
      "--provider",
      "openai,resend",
      "--",
      "sh",
      "-c",
      'echo "${OPENAI_API_KEY:+set} ${RESEND_API_KEY:+set}"',
    ],
    { home: dir.home },
  );
  assert.equal(out.code, 0, out.stderr);
  assert.equal(out.stdout, "set set\n");
});

Deno.test("run: a missing command is a usage error; an unknown program says so", async () => {
  await using dir = await loggedIn();
  const missing = await runCli(["run", "--env", "--"], { home: dir.home });
  assert.equal(missing.code, 2);
  const unknown = await runCli(["run", "--env", "--", "no-such-program-xyz"], { home: dir.home });
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /command not found: no-such-program-xyz/);
});

/**
 * Starts `authsome run <flags> -- sh -c '<trap>; echo ready; <loop>'` and leaves it running, so a
 * test can signal it once the child has printed "ready".
 */
function spawnRun(home: string, flags: string[], trap: string): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      CLI,
      "run",
      ...flags,
      "--",
      "sh",
      "-c",
      `${trap}; echo ready; while :; do sleep 0.05; done`,
    ],
    clearEnv: true,
    env: { PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin", AUTHSOME_HOME: home, HOME: home },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

Deno.test("run --env: Ctrl-C reaches the child, and the secret is never in its argv", async () => {
  await using dir = await loggedIn();
  const marker = `${dir.home}/../got-sigint`;
  const child = spawnRun(dir.home, ["--env"], `trap 'echo int > ${marker}; exit 130' INT`);
  const reader = child.stdout.getReader();
  await reader.read(); // "ready"
  // Every process's argv is free of the secret while the child runs.
  for await (const entry of Deno.readDir("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    const cmdline = await Deno.readTextFile(`/proc/${entry.name}/cmdline`).catch(() => "");
    assert.ok(!cmdline.includes(KEY), `pid ${entry.name} has the key in argv`);
  }
  child.kill("SIGINT");
  const status = await child.status;
  reader.releaseLock();
  await child.stdout.cancel();
  await child.stderr.cancel();
  assert.equal(status.code, 130);
  assert.equal((await Deno.readTextFile(marker)).trim(), "int");
});

Deno.test("run: the child never inherits the vault key (AUTHSOME_MASTER_KEY / AUTHSOME_PASSPHRASE)", async () => {
  await using dir = await tempHome();
  const masterKey = btoa(String.fromCharCode(...new Uint8Array(32).fill(3)));
  const env = { AUTHSOME_MASTER_KEY: masterKey, AUTHSOME_PASSPHRASE: "unused-passphrase" };
  const login = await runCli(["login", "openai"], {
    home: dir.home,
    env: { ...env, OPENAI_API_KEY: KEY },
  });
  assert.equal(login.code, 0, login.stderr);
  for (const mode of [["--env"], []]) {
    const out = await runCli(
      [
        "run",
        ...mode,
        "--",
        "sh",
        "-c",
        'echo "[${AUTHSOME_MASTER_KEY:-}][${AUTHSOME_PASSPHRASE:-}]"',
      ],
      { home: dir.home, env },
    );
    assert.equal(out.code, 0, out.stderr);
    assert.equal(out.stdout, "[][]\n");
  }
});

Deno.test("run (proxy mode): SIGTERM reaches the child, and run exits with its code", async () => {
  await using dir = await loggedIn();
  const marker = `${dir.home}/../got-sigterm`;
  const child = spawnRun(dir.home, [], `trap 'echo term > ${marker}; exit 143' TERM`);
  const reader = child.stdout.getReader();
  await reader.read(); // "ready"
  child.kill("SIGTERM");
  const status = await child.status;
  reader.releaseLock();
  await child.stdout.cancel();
  await child.stderr.cancel();
  assert.equal(status.code, 143);
  assert.equal((await Deno.readTextFile(marker)).trim(), "term");
});
