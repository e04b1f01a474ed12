import { existsSync, readdirSync, rmSync, statSync } from "node:fs";
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

/** True when the package's dist/ is missing or older than its sources or tsconfig.json. */
export function needsBuild(pkg: WorkspacePackage): boolean {
  const entry = path.join(pkg.dir, "dist", "index.js");
  if (!existsSync(entry)) return true;
  const sources = Math.max(newestMtime(path.join(pkg.dir, "src")), statSync(path.join(pkg.dir, "tsconfig.json"), { throwIfNoEntry: false })?.mtimeMs ?? 0);
  return sources > statSync(entry).mtimeMs;
}

/** What tsc emits for one source file: dist/x.js, .js.map, .d.ts, .d.ts.map come from src/x.ts. */
const EMITTED = /^(.*)\.(js|js\.map|d\.ts|d\.ts\.map)$/;

/**
 * Files in dist/ whose source file no longer exists (a renamed or deleted module): tsc never
 * removes them, so without this they would be packed and published. Returns their paths.
 */
export function staleOutputs(pkg: WorkspacePackage): string[] {
  const dist = path.join(pkg.dir, "dist");
  const src = path.join(pkg.dir, "src");
  if (!existsSync(dist) || !existsSync(src)) return [];
  const stale: string[] = [];
  for (const entry of readdirSync(dist, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const relative = path.relative(dist, path.join(entry.parentPath, entry.name));
    const base = EMITTED.exec(relative)?.[1];
    if (base === undefined) continue; // Not a tsc output (an asset): not ours to judge.
    if (![".ts", ".tsx", ".mts", ".cts"].some((ext) => existsSync(path.join(src, base + ext)))) stale.push(path.join(dist, relative));
  }
  return stale;
}

/**
 * Remove stale outputs (see {@link staleOutputs}), then build the packages whose dist/ is
 * missing or older than their sources, in dependency order. After `pnpm run build` (what
 * `pnpm test` does first) nothing is stale and this costs nothing. Returns the names it built.
 */
export async function ensureBuilt(packages: readonly WorkspacePackage[]): Promise<string[]> {
  for (const file of packages.flatMap(staleOutputs)) rmSync(file);
  const stale = packages.filter(needsBuild).map((p) => p.name);
  if (stale.length === 0) return [];
  // "<name>...": the package and what it depends on, so a stale core is rebuilt first.
  await runOrThrow("pnpm", ["-r", ...stale.flatMap((name) => ["--filter", `${name}...`]), "run", "build"], { cwd: repoRoot });
  return stale;
}
