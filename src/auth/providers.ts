/**
 * Custom provider definitions: `register` and the definition half of `remove`.
 *
 * @module
 */
import { ProviderDefinitionError, UsageError } from "../errors.ts";
import { validateForRegister } from "../providers/unknown_fields.ts";
import type { AuthsomeContext } from "./context.ts";

/** Outcome of a register. */
export interface RegisterResult {
  name: string;
  overridesBundled: boolean;
  /** Accepted but worth fixing: predecessor field names that are not read. */
  warnings: string[];
}

/** Reads, validates and installs a provider definition file. */
export async function registerProvider(
  ctx: AuthsomeContext,
  file: string,
  options: { force: boolean },
): Promise<RegisterResult> {
  const text = await ctx.platform.fs.readTextFile(file).catch((error) => {
    throw new UsageError(`cannot read ${file}: ${error instanceof Error ? error.message : error}`);
  });
  if (text === null) throw new UsageError(`file not found: ${file}`);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new ProviderDefinitionError(
      `${file}: not valid JSON (${error instanceof Error ? error.message : error})`,
    );
  }
  const registry = await ctx.providers();
  try {
    const renamed = validateForRegister(raw, file);
    const definition = await registry.register(ctx.platform, ctx.paths.home, raw, {
      ...options,
      origin: file,
    });
    const overridesBundled = registry.isBundled(definition.name);
    await ctx.audit.append({
      event: "register",
      provider: definition.name,
      status: "success",
      overrides_bundled: overridesBundled,
    });
    return {
      name: definition.name,
      overridesBundled,
      warnings: renamed.map(({ path, use }) =>
        `${file}: ${path} is the predecessor's name for ${use}; it is ignored here, rename it`
      ),
    };
  } catch (error) {
    const name = typeof raw === "object" && raw !== null && "name" in raw
      ? String((raw as { name: unknown }).name)
      : undefined;
    await ctx.audit.append({
      event: "register",
      provider: name,
      status: "failure",
      error: error instanceof Error ? error.message : String(error),
    });
    throw error;
  }
}

/** Deletes the custom definition of a provider, if there is one. */
export async function removeCustomProvider(
  ctx: AuthsomeContext,
  name: string,
): Promise<{ removedCustom: boolean; bundledRemains: boolean }> {
  const registry = await ctx.providers();
  const removedCustom = await registry.removeCustom(ctx.platform, ctx.paths.home, name);
  return { removedCustom, bundledRemains: registry.isBundled(name) };
}
