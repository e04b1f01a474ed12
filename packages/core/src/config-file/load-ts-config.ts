import { randomBytes } from "node:crypto";
import { copyFile, readFile, rm } from "node:fs/promises";
import path from "node:path";
import { pathToFileURL } from "node:url";
import type { Loader } from "cosmiconfig";

// A line that starts with `import`/`export` (not `import(`): ES module syntax.
const ESM_SYNTAX = /^\s*(export\s|export\{|import\s+(?!\()|import\{)/m;

async function importDefault(file: string): Promise<unknown> {
  const module = (await import(pathToFileURL(file).href)) as { default?: unknown };
  return module.default;
}

/** The "type" of the nearest package.json above `file` (Node's rule for `.ts` and `.js`). */
async function packageType(file: string): Promise<string | undefined> {
  for (let dir = path.dirname(file); ; dir = path.dirname(dir)) {
    const text = await readFile(path.join(dir, "package.json"), "utf8").catch(() => undefined);
    if (text !== undefined) return (JSON.parse(text) as { type?: string }).type;
    if (path.dirname(dir) === dir) return undefined;
  }
}

/**
 * Load a `themis.config.ts`. Node (≥ 22.18 strips types) loads a `.ts` file as the nearest
 * package.json's "type" says, so in a CommonJS app (`"type": "commonjs"`, which `npm init`
 * writes) the `export default` every TypeScript config is written with would be a
 * SyntaxError, although TypeScript compiles it fine. Such a file is imported as a copy
 * under a `.mts` name beside it (always an ES module; its relative imports and packages
 * resolve from the same folder), removed right after. Anything else loads natively,
 * a CommonJS `.ts` (`module.exports = …`) included.
 */
export const loadTsConfig: Loader = async (file, content) => {
  if (!ESM_SYNTAX.test(content) || (await packageType(file)) === "module") return importDefault(file);
  const copy = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(6).toString("hex")}.mts`);
  await copyFile(file, copy);
  try {
    return await importDefault(copy);
  } finally {
    await rm(copy, { force: true });
  }
};
