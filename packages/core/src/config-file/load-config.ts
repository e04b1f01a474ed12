import type { ThemisConfig } from "./config-types.js";
import { findConfigFile, readConfigFile } from "./read-config-file.js";
import { type ResolveConfigOptions, resolveConfig } from "./resolve-config.js";

/** Options of {@link loadConfig}. */
export interface LoadConfigOptions extends Omit<ResolveConfigOptions, "file" | "dir"> {
  /** Folder to start the search from. Default: process.cwd(). */
  cwd?: string;
  /** Load this file instead of searching (e.g. the CLI's `--config`). */
  file?: string;
}

/**
 * Find (or read `file`), validate and resolve the themis config. Undefined when no config
 * exists. The search starts in `cwd` and walks up to the project root (the nearest folder
 * with a package.json), trying in each folder, first match wins: `themis.config.{ts,mts,js,
 * mjs,cjs,json,yaml,yml}`, `.themisrc` (YAML or JSON), `.themisrc.{json,yaml,yml,js,mjs,
 * cjs,ts}`, `.config/themisrc[.json|.yaml|.yml]`, then the `"themis"` key of package.json.
 *
 * @throws InvalidConfigFileError (code `ERR_THEMIS_INVALID_CONFIG`) naming the file and
 * every problem: field path, reason, did-you-mean.
 */
export async function loadConfig(options: LoadConfigOptions = {}): Promise<ThemisConfig | undefined> {
  const { cwd, file, ...rest } = options;
  const doc = file !== undefined ? await readConfigFile(file) : await findConfigFile(cwd);
  if (!doc) return undefined;
  return resolveConfig(doc.raw, { ...rest, file: doc.file });
}
