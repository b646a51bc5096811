// A refresh that stops dead between the two writes: the token endpoint has answered and the
// journal is committed, then the vault write never returns (the test kill -9s this process
// there, after it prints `journaled`). Arguments: <home> <clock ms> <vault key>.
import { accessConnection } from "../../src/auth/access.ts";
import { createContext } from "../../src/auth/context.ts";
import { denoFileSystem, denoPlatform } from "../../src/platform/deno.ts";
import type { Platform } from "../../src/platform/types.ts";

const [home, now, key] = Deno.args;
const real = denoPlatform();
const platform: Platform = {
  ...real,
  env: (name) => (name === "AUTHSOME_MASTER_KEY" ? key : undefined),
  clock: { now: () => Number(now), sleep: real.clock.sleep },
  fs: {
    ...denoFileSystem,
    writeFileAtomic(path, data, options) {
      if (!path.endsWith("/vault.enc")) return denoFileSystem.writeFileAtomic(path, data, options);
      Deno.stdout.writeSync(new TextEncoder().encode("journaled\n"));
      return new Promise((resolve) => setTimeout(resolve, 60_000));
    },
  },
};
const silent = { debug() {}, info() {}, warn() {}, error() {} };
const ctx = createContext(platform, {
  home,
  log: silent,
  audit: { append: () => Promise.resolve() },
});
await accessConnection(ctx, "fakehub", {});
