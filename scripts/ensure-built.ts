import { existsSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { runOrThrow } from "./run-command.ts";
import { repoRoot, type WorkspacePackage } from "./workspace-packages.ts";

/** Newest modification time of the files under `dir` (0 when it does not exist). */
function newestMtime(dir: string): number {
  if (!existsSync(dir)) return 0;
  let newest = 0;
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) newest = Math.max(newest, statSync(path.join(entry.parentPath, entry.name)).mtimeMs);
  }
  return newest;
}

/** True when the package's dist/ is missing or older than its sources or package.json. */
export function needsBuild(pkg: WorkspacePackage): boolean {
  const entry = path.join(pkg.dir, "dist", "index.js");
  if (!existsSync(entry)) return true;
  const sources = Math.max(newestMtime(path.join(pkg.dir, "src")), statSync(path.join(pkg.dir, "tsconfig.json"), { throwIfNoEntry: false })?.mtimeMs ?? 0);
  return sources > statSync(entry).mtimeMs;
}

/**
 * Build the packages whose dist/ is missing or stale, in dependency order. After
 * `pnpm run build` (what `pnpm test` does first) nothing is stale and this costs nothing.
 * Returns the names it built.
 */
export async function ensureBuilt(packages: readonly WorkspacePackage[]): Promise<string[]> {
  const stale = packages.filter(needsBuild).map((p) => p.name);
  if (stale.length === 0) return [];
  // "<name>...": the package and what it depends on, so a stale core is rebuilt first.
  await runOrThrow("pnpm", ["-r", ...stale.flatMap((name) => ["--filter", `${name}...`]), "run", "build"], { cwd: repoRoot });
  return stale;
}
