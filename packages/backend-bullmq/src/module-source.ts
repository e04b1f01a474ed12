import { createHash } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { resolve as resolveSpecifier } from "import-meta-resolve";

function baseUrl(resolveFrom: string | undefined): string {
  const from = resolveFrom ?? process.cwd();
  if (from.startsWith("file:")) return from;
  // A folder: resolve from inside it (the trailing separator matters to URL resolution).
  return pathToFileURL(path.resolve(from) + path.sep).href;
}

/**
 * The file a module job's `module` names, resolved as the local executor resolves it: an
 * absolute path, a `file:` URL, a relative path or a package specifier (both from
 * `resolveFrom`, default the current directory). Throws when it names no file on this
 * machine (a `node:` builtin, a missing package).
 */
export function resolveModuleFile(module: string, resolveFrom?: string): string {
  let file: string;
  if (module.startsWith("file:")) file = fileURLToPath(module);
  else if (path.isAbsolute(module)) file = module;
  else if (module.startsWith("./") || module.startsWith("../")) file = fileURLToPath(new URL(module, baseUrl(resolveFrom)));
  else {
    const url = resolveSpecifier(module, baseUrl(resolveFrom));
    if (!url.startsWith("file:")) throw new Error(`module "${module}" resolves to ${url}, not to a file`);
    file = fileURLToPath(url);
  }
  if (!statSync(file).isFile()) throw new Error(`module "${module}" resolves to ${file}, which is not a file`);
  return file;
}

// Hashes by file, reused while size and mtime stay the same: 10k jobs read the file once.
const cache = new Map<string, { size: number; mtimeMs: number; hash: string }>();

/**
 * sha256 (hex) of the code of the module file `module` resolves to: what a submitter
 * sends with a module job and what a worker compares before running it. Covers the
 * module's own file, not the files it imports.
 */
export function moduleCodeHash(module: string, resolveFrom?: string): string {
  const file = resolveModuleFile(module, resolveFrom);
  const stat = statSync(file);
  const hit = cache.get(file);
  if (hit && hit.size === stat.size && hit.mtimeMs === stat.mtimeMs) return hit.hash;
  const hash = createHash("sha256").update(readFileSync(file)).digest("hex");
  cache.set(file, { size: stat.size, mtimeMs: stat.mtimeMs, hash });
  return hash;
}
