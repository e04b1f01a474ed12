import { stat } from "node:fs/promises";
import path from "node:path";
import type { PublicExplorer } from "cosmiconfig";
import { CONFIG_NAME, CONFIG_SEARCH_PLACES } from "./search-places.js";
import { InvalidConfigFileError } from "./config-file-error.js";
import { loadJsonSafely, loadYamlSafely } from "./safe-loaders.js";
import { loadTsConfig } from "./load-ts-config.js";

/** A config document as read from disk, before validation. */
export interface ConfigDocument {
  /** Absolute path of the file. */
  file: string;
  /** Its content: parsed YAML/JSON, a JS/TS module's default export, or package.json's "themis" key. */
  raw: unknown;
}

let explorer: PublicExplorer | undefined;

// cosmiconfig is imported on first use: code that never reads a config file does not pay for it.
async function themisExplorer(): Promise<PublicExplorer> {
  if (explorer) return explorer;
  const { cosmiconfig, defaultLoaders } = await import("cosmiconfig");
  explorer = cosmiconfig(CONFIG_NAME, {
    searchPlaces: [...CONFIG_SEARCH_PLACES],
    // From the starting folder up to the nearest folder with a package.json (the project root).
    searchStrategy: "project",
    // `.themisrc` without extension is YAML (a superset of JSON). Our own YAML and JSON
    // loaders: errors without source lines (secrets), aliases and size capped. `.ts` loads
    // in CommonJS apps too (see load-ts-config).
    loaders: { ...defaultLoaders, ".json": loadJsonSafely, ".yaml": loadYamlSafely, ".yml": loadYamlSafely, noExt: loadYamlSafely, ".ts": loadTsConfig },
  });
  return explorer;
}

/** Forget cached config files (after editing one in a long-running process). */
export function clearConfigCache(): void {
  explorer?.clearCaches();
}

function readProblem(error: unknown): string {
  const e = error as NodeJS.ErrnoException;
  if (e?.code === "ENOENT") return "file not found";
  if (e?.code === "EISDIR") return "cannot read: it is a directory";
  if (e?.code === "EACCES" || e?.code === "EPERM") return "cannot read: permission denied";
  // cosmiconfig prefixes parse errors with "YAML Error in <file>:" / "JSON Error in <file>:"; the file is named already.
  const message = String(e?.message ?? error).replace(/^(YAML|JSON) Error in [^\n]*:\n/, (_m, format: string) => `${format} syntax error: `);
  return message.split("\n").slice(0, 6).join("\n");
}

/**
 * Read one config file (YAML, JSON, JS/TS module, or package.json's "themis" key).
 * InvalidConfigFileError when it is missing, unreadable or not parseable.
 */
export async function readConfigFile(file: string): Promise<ConfigDocument> {
  const absolute = path.resolve(file);
  try {
    const info = await stat(absolute);
    if (info.isDirectory()) throw Object.assign(new Error("is a directory"), { code: "EISDIR" });
    const result = await (await themisExplorer()).load(absolute);
    return { file: absolute, raw: result?.isEmpty || result?.config === undefined ? {} : result.config };
  } catch (cause) {
    throw new InvalidConfigFileError("cannot read config", absolute, [{ path: "", message: readProblem(cause) }], { cause });
  }
}

/**
 * Look for a themis config from `cwd` up to the project root (see
 * {@link CONFIG_SEARCH_PLACES}). Undefined when there is none.
 */
export async function findConfigFile(cwd: string = process.cwd()): Promise<ConfigDocument | undefined> {
  let result: Awaited<ReturnType<PublicExplorer["search"]>>;
  try {
    result = await (await themisExplorer()).search(path.resolve(cwd));
  } catch (cause) {
    const file = (cause as { filepath?: string }).filepath ?? /(?:Error in |in )(\/[^\s:]+)/.exec(String((cause as Error)?.message))?.[1];
    throw new InvalidConfigFileError("cannot read config", file, [{ path: "", message: readProblem(cause) }], { cause });
  }
  if (!result) return undefined;
  return { file: result.filepath, raw: result.isEmpty || result.config === undefined ? {} : result.config };
}
