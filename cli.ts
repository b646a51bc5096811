/**
 * The authsome command-line entry point.
 *
 * @module
 */
import { main } from "./src/commands/main.ts";
import { denoPlatform } from "./src/platform/deno.ts";

if (import.meta.main) {
  Deno.exit(await main(Deno.args, denoPlatform()));
}
