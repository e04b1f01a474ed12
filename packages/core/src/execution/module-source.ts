import { createHash } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { resolve as resolveSpecifier } from "import-meta-resolve";
import { NotFoundError } from "../errors.js";

/**
 * The `file:` URL of a module specifier: absolute paths and `file:` URLs as they are;
 * relative paths and package specifiers resolved from `resolveFrom` (default: the current
 * directory) with Node's ESM rules (exports maps, "import" condition). Does not check that
 * the file exists (see {@link resolveModuleFile}).
 */
export function resolveModuleUrl(module: string, resolveFrom?: string): string {
  if (module.startsWith("file:")) return module;
  if (path.isAbsolute(module)) return pathToFileURL(module).href;
  const from = resolveFrom ?? process.cwd();
  const base = from.startsWith("file:") ? from : pathToFileURL(path.resolve(from) + path.sep).href;
  if (module.startsWith("./") || module.startsWith("../")) return new URL(module, base).href;
  return resolveSpecifier(module, base);
}

/**
 * The absolute path of the file a module task runs, resolved as the local executor resolves
 * it. A module that cannot be resolved, or is not a file on disk, is a NotFoundError.
 */
export function resolveModuleFile(module: string, resolveFrom?: string): string {
  let url: string;
  try {
    url = resolveModuleUrl(module, resolveFrom);
  } catch (error) {
    throw new NotFoundError(`module "${module}" cannot be resolved from ${resolveFrom ?? process.cwd()}`, { cause: error });
  }
  if (!url.startsWith("file:")) throw new NotFoundError(`module "${module}" resolves to ${url}, not a file`);
  return fileURLToPath(url);
}

// Hashes by file, reused while the file's size and nanosecond mtime/ctime stay the same:
// a submitter or worker hashing 10k jobs of one module reads the file once.
const hashCache = new Map<string, { size: bigint; mtimeNs: bigint; ctimeNs: bigint; hash: string }>();

/**
 * The sha256 (hex) of the resolved module file's bytes: the code a module task runs, as
 * far as one file tells. Edits to other files the module imports do not change it (pin
 * those with a task version). NotFoundError when the module is missing.
 */
export function moduleCodeHash(module: string, resolveFrom?: string): string {
  const file = resolveModuleFile(module, resolveFrom);
  try {
    const stat = statSync(file, { bigint: true });
    const hit = hashCache.get(file);
    if (hit && hit.size === stat.size && hit.mtimeNs === stat.mtimeNs && hit.ctimeNs === stat.ctimeNs) return hit.hash;
    const hash = createHash("sha256").update(readFileSync(file)).digest("hex");
    hashCache.set(file, { size: stat.size, mtimeNs: stat.mtimeNs, ctimeNs: stat.ctimeNs, hash });
    return hash;
  } catch (error) {
    throw new NotFoundError(`module "${module}" (${file}) cannot be read: ${(error as Error).message}`, { cause: error });
  }
}
