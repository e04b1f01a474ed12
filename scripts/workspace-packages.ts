import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { runOrThrow } from "./run-command.ts";

/** The repository root (this file lives in <root>/scripts). */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** The third-party backend example: private, so a release never publishes it, but packed and installed by the e2e test like an outsider's package. */
export const exampleBackendDir = path.join(repoRoot, "examples", "third-party-backend");

/** The fields of a package.json these scripts read. */
export interface PackageManifest {
  name: string;
  version: string;
  private?: boolean;
  [field: string]: unknown;
}

/** One package of the pnpm workspace. */
export interface WorkspacePackage {
  name: string;
  version: string;
  /** Absolute folder. */
  dir: string;
  private: boolean;
  manifest: PackageManifest;
}

/** Every package of the workspace (not the root), as pnpm sees them. */
export async function workspacePackages(root: string = repoRoot): Promise<WorkspacePackage[]> {
  const { stdout } = await runOrThrow("pnpm", ["ls", "-r", "--json", "--depth", "-1"], { cwd: root });
  const listed = JSON.parse(stdout) as { name: string; path: string }[];
  return listed
    .filter((p) => path.resolve(p.path) !== path.resolve(root))
    .map((p) => {
      const manifest = JSON.parse(readFileSync(path.join(p.path, "package.json"), "utf8")) as PackageManifest;
      return { name: manifest.name, version: manifest.version, dir: p.path, private: manifest.private === true, manifest };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** The packages a release publishes (every public one) plus the third-party example: what the e2e test packs. */
export async function packagesToPack(root: string = repoRoot): Promise<WorkspacePackage[]> {
  const all = await workspacePackages(root);
  const example = path.resolve(root, path.relative(repoRoot, exampleBackendDir));
  return all.filter((p) => !p.private || path.resolve(p.dir) === example);
}
