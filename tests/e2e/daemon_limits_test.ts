/**
 * End-to-end: a daemon short of file descriptors (a low `ulimit -n`) flooded with idle
 * connections keeps running and answers once the flood ends. Before the connection gate,
 * `Deno.serve` died on "Too many open files".
 */
import assert from "node:assert/strict";
import { CLI, cliEnv } from "./_cli.ts";
import { openaiKey, randomMasterKey, show, withHome } from "./_helpers.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

Deno.test({
  name: "a daemon out of file descriptors survives a flood of idle sockets and answers after it",
  ignore: Deno.build.os === "windows",
  fn: () =>
    withHome(async (home) => {
      const env = { AUTHSOME_MASTER_KEY: randomMasterKey() };
      const key = openaiKey();
      await home.ok(["login", "openai"], { env: { ...env, OPENAI_API_KEY: key } });
      const daemon = new Deno.Command("/bin/sh", {
        args: [
          "-c",
          'ulimit -n 48 && exec "$0" run -A --no-lock "$1" daemon serve --port 0',
          Deno.execPath(),
          CLI,
        ],
        clearEnv: true,
        env: cliEnv(home.home, env),
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const sockets: Deno.Conn[] = [];
      try {
        let port = 0;
        for (let i = 0; i < 200 && !port; i++) {
          await sleep(50);
          port = Number(await Deno.readTextFile(home.path("daemon/port")).catch(() => "0"));
        }
        assert.ok(port > 0, "the daemon started");
        // Far more connections than it has descriptors for.
        for (let i = 0; i < 150; i++) {
          try {
            sockets.push(await Deno.connect({ hostname: "127.0.0.1", port }));
          } catch {
            break;
          }
        }
        await sleep(1_000);
        for (const socket of sockets.splice(0)) socket.close();
        await sleep(300);
        const status = await home.run(["daemon", "status"], { env });
        assert.equal(status.code, 0, show(status));
        assert.match(status.stdout, /daemon is running/);
        const got = await home.ok(["get", "openai", "--field", "api_key"], { env });
        assert.equal(got.stdout.trim(), key);
        await home.ok(["daemon", "stop"], { env });
        const output = await daemon.output();
        const stderr = new TextDecoder().decode(output.stderr);
        assert.ok(!/Too many open files|Uncaught/.test(stderr), stderr);
        assert.equal(output.code, 0, stderr);
      } finally {
        for (const socket of sockets) socket.close();
        try {
          daemon.kill("SIGKILL");
        } catch {
          // Already gone.
        }
        await daemon.status;
      }
    }),
});
