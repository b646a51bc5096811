/**
 * Lazy loaders of the command implementations. Static string specifiers keep them visible to
 * `deno compile`, while each CLI call loads only the code of the command it runs.
 *
 * @module
 */
import * as getCommand from "./get.ts";
import type { CommandModule } from "./invocation.ts";

/** Command name to its implementation. */
export const COMMAND_LOADERS: Record<string, () => Promise<CommandModule>> = {
  init: () => import("./init.ts"),
  list: () => import("./list.ts"),
  inspect: () => import("./inspect.ts"),
  login: () => import("./login.ts"),
  logout: () => import("./logout.ts"),
  revoke: () => import("./revoke.ts"),
  remove: () => import("./remove.ts"),
  register: () => import("./register.ts"),
  // Static: `get` is what agents call on every request, and a dynamic import costs ~1 ms.
  get: () => Promise.resolve(getCommand),
  export: () => import("./export.ts"),
  log: () => import("./log.ts"),
  run: () => import("./run.ts"),
  doctor: () => import("./doctor.ts"),
  whoami: () => import("./whoami.ts"),
  daemon: () => import("./daemon.ts"),
  grant: () => import("./grant.ts"),
  completions: () => import("./completions_command.ts"),
  import: () => import("./import.ts"),
  connection: () => import("./connection.ts"),
};
