/**
 * The provider registry: the bundled catalogue plus the custom definitions in
 * `<home>/providers/<name>.json`, where a custom definition overrides the bundled one of the same
 * name. A broken custom file never stops authsome: it is skipped and reported as a warning.
 *
 * @module
 */
import { ProviderDefinitionError, ProviderNotFoundError, UsageError } from "../errors.ts";
import type { ExportField, ProviderDefinition, ProviderSource } from "../model/provider.ts";
import type { Platform } from "../platform/types.ts";
import { BUNDLED_PROVIDERS } from "./catalogue.ts";
import { isValidProviderName, validateProvider } from "./schema.ts";
import { closestMatch } from "./suggest.ts";

/** One provider as the registry sees it. */
export interface ProviderEntry {
  definition: ProviderDefinition;
  source: ProviderSource;
  /** A custom definition that replaces a bundled one of the same name. */
  overridesBundled: boolean;
}

/** A custom definition file that was skipped. */
export interface ProviderWarning {
  /** Absolute path of the file. */
  file: string;
  message: string;
}

/** Options of {@linkcode ProviderRegistry.register}. */
export interface RegisterOptions {
  /** Overwrite an existing custom definition, or shadow a bundled one. */
  force?: boolean;
  /** Names the input in validation errors (the file the user passed). */
  origin?: string;
}

const DIR_MODE = 0o700;
const FILE_MODE = 0o600;
const encoder = new TextEncoder();

let bundledRaw: ReadonlyMap<string, unknown> | null = null;
const bundledValidated = new Map<string, ProviderDefinition>();

/** The bundled definitions by name, not yet validated. */
function bundledRawByName(): ReadonlyMap<string, unknown> {
  if (bundledRaw) return bundledRaw;
  const map = new Map<string, unknown>();
  for (const raw of BUNDLED_PROVIDERS) map.set(String((raw as { name?: unknown }).name), raw);
  bundledRaw = map;
  return map;
}

/**
 * A bundled definition, validated on first use. Validating all 44 costs ~9 ms, which a `get`
 * (one provider) must not pay on every call.
 */
function bundledDefinition(name: string): ProviderDefinition | undefined {
  const cached = bundledValidated.get(name);
  if (cached) return cached;
  const raw = bundledRawByName().get(name);
  if (raw === undefined) return undefined;
  const definition = validateProvider(raw, `bundled/${name}.json`);
  bundledValidated.set(name, definition);
  return definition;
}

function providersDir(home: string): string {
  return `${home.replace(/\/+$/, "")}/providers`;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Bundled and custom provider definitions, looked up by name. */
export class ProviderRegistry {
  readonly #custom: Map<string, ProviderDefinition>;
  /** Custom definition files that were skipped while loading. */
  readonly warnings: readonly ProviderWarning[];

  private constructor(custom: Map<string, ProviderDefinition>, warnings: ProviderWarning[]) {
    this.#custom = custom;
    this.warnings = warnings;
  }

  /** The bundled catalogue alone, without touching the disk. */
  static bundledOnly(): ProviderRegistry {
    return new ProviderRegistry(new Map(), []);
  }

  /** The bundled catalogue plus every valid custom definition under `<home>/providers/`. */
  static async load(platform: Platform, home: string): Promise<ProviderRegistry> {
    const custom = new Map<string, ProviderDefinition>();
    const warnings: ProviderWarning[] = [];
    const dir = providersDir(home);
    let files: string[] = [];
    try {
      files = await platform.fs.readDir(dir);
    } catch (error) {
      warnings.push({ file: dir, message: `cannot read ${dir}: ${describe(error)}` });
    }
    for (const file of files) {
      // Dot files include the temp files of an interrupted atomic write.
      if (!file.endsWith(".json") || file.startsWith(".")) continue;
      const path = `${dir}/${file}`;
      const origin = `providers/${file}`;
      try {
        // Another user's file here (a shared or loosely set-up home) could redirect tokens to
        // their server; it is skipped, not trusted.
        const owner = (await platform.fs.stat(path))?.uid;
        const uid = platform.userId?.() ?? null;
        if (uid !== null && owner !== undefined && owner !== null && owner !== uid) {
          warnings.push({
            file: path,
            message: `owned by another user (uid ${owner}, you are uid ${uid}); ` +
              `if you trust it: sudo chown ${uid} ${path}`,
          });
          continue;
        }
        const text = await platform.fs.readTextFile(path);
        if (text === null) continue;
        let raw: unknown;
        try {
          raw = JSON.parse(text);
        } catch (error) {
          throw new ProviderDefinitionError(`${origin}: not valid JSON (${describe(error)})`);
        }
        const definition = validateProvider(raw, origin);
        const stem = file.slice(0, -".json".length);
        if (definition.name !== stem) {
          throw new ProviderDefinitionError(
            `${origin}: name: "${definition.name}" does not match the file name; ` +
              `rename the file to ${definition.name}.json`,
          );
        }
        custom.set(definition.name, definition);
      } catch (error) {
        warnings.push({ file: path, message: describe(error) });
      }
    }
    return new ProviderRegistry(custom, warnings);
  }

  #entryFor(name: string): ProviderEntry | undefined {
    const custom = this.#custom.get(name);
    if (custom) {
      return { definition: custom, source: "custom", overridesBundled: this.isBundled(name) };
    }
    const bundled = bundledDefinition(name);
    return bundled
      ? { definition: bundled, source: "bundled", overridesBundled: false }
      : undefined;
  }

  #names(): string[] {
    return [...new Set([...bundledRawByName().keys(), ...this.#custom.keys()])].sort();
  }

  /** The definition for `name`; throws {@linkcode ProviderNotFoundError} with a suggestion. */
  get(name: string): ProviderDefinition {
    const entry = this.#entryFor(name);
    if (entry) return entry.definition;
    const suggestion = closestMatch(name, this.#names());
    const hint = suggestion
      ? `Did you mean "${suggestion}"? Run: authsome list`
      : "Run: authsome list";
    throw new ProviderNotFoundError(`Provider '${name}' not found`, { hint });
  }

  has(name: string): boolean {
    return this.#custom.has(name) || bundledRawByName().has(name);
  }

  /** The registry entry for `name`, or undefined. */
  entry(name: string): ProviderEntry | undefined {
    return this.#entryFor(name);
  }

  /** Every provider, sorted by name. */
  list(): ProviderEntry[] {
    return this.#names().map((name) => this.#entryFor(name)!);
  }

  /** Whether the catalogue bundles a provider of this name (overridden or not). */
  isBundled(name: string): boolean {
    return bundledRawByName().has(name);
  }

  /** Whether the active definition of `name` is a custom one. */
  isCustom(name: string): boolean {
    return this.#custom.has(name);
  }

  /**
   * Validates `raw` and installs it as `<home>/providers/<name>.json` (0600, directory 0700),
   * keeping the input as given (unknown fields included). Without `force`, refuses to replace
   * an existing custom definition or to shadow a bundled one.
   */
  async register(
    platform: Platform,
    home: string,
    raw: unknown,
    options: RegisterOptions = {},
  ): Promise<ProviderDefinition> {
    const definition = validateProvider(raw, options.origin ?? "provider definition", {
      registering: true,
    });
    const { name } = definition;
    const dir = providersDir(home);
    const path = `${dir}/${name}.json`;
    if (!options.force) {
      if (await platform.fs.stat(path) !== null) {
        throw new UsageError(
          `Provider '${name}' is already registered (${path}). Pass --force to overwrite it.`,
        );
      }
      if (this.isBundled(name)) {
        throw new UsageError(
          `Provider '${name}' is bundled with authsome. Pass --force to override the bundled ` +
            "definition with yours.",
        );
      }
    }
    await platform.fs.ensureDir(dir, DIR_MODE);
    const text = `${JSON.stringify(raw, null, 2)}\n`;
    await platform.fs.writeFileAtomic(path, encoder.encode(text), { mode: FILE_MODE });
    this.#custom.set(name, definition);
    return definition;
  }

  /**
   * Deletes the custom definition of `name`; a bundled definition of that name becomes active
   * again. Returns false when there was no custom file.
   */
  async removeCustom(platform: Platform, home: string, name: string): Promise<boolean> {
    // An unsafe name cannot have been registered, and must not become a path.
    if (!isValidProviderName(name)) return false;
    const path = `${providersDir(home)}/${name}.json`;
    const existed = await platform.fs.stat(path) !== null;
    if (existed) await platform.fs.remove(path);
    this.#custom.delete(name);
    return existed;
  }
}

/**
 * Replaces `{base_url}` in a definition URL (the base's trailing `/` removed). Throws
 * {@linkcode UsageError} when the URL needs a base URL and none is known.
 */
export function resolveTemplate(url: string, baseUrl: string | null | undefined): string {
  if (!url.includes("{base_url}")) return url;
  if (!baseUrl) {
    throw new UsageError(`${url} needs a base URL`, { hint: "Pass --base-url <url>" });
  }
  return url.replaceAll("{base_url}", baseUrl.replace(/\/+$/, ""));
}

/**
 * The environment variable names for a provider's credentials: the definition's `export.env`,
 * else (for `api_key`) `api_key.env_var`, else `<NAME>_ACCESS_TOKEN`, `<NAME>_REFRESH_TOKEN`,
 * `<NAME>_API_KEY` with the name upper-cased and every other character mapped to `_`.
 */
export function envVarNames(definition: ProviderDefinition): Record<ExportField, string> {
  const base = definition.name.toUpperCase().replace(/[^A-Z0-9]/g, "_");
  const env = definition.export.env;
  return {
    access_token: env.access_token ?? `${base}_ACCESS_TOKEN`,
    refresh_token: env.refresh_token ?? `${base}_REFRESH_TOKEN`,
    api_key: env.api_key ?? definition.api_key?.env_var ?? `${base}_API_KEY`,
  };
}
