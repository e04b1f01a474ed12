// Pack workspace packages into tarballs, as `pnpm publish` would: `workspace:` ranges become
// real versions, `files` decides the contents. Usage: node scripts/pack-packages.ts [destination]
import { mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { runOrThrow } from "./run-command.ts";
import { type WorkspacePackage, packagesToPack, repoRoot } from "./workspace-packages.ts";

/** A package and the tarball packed from it. */
export interface PackedPackage extends WorkspacePackage {
  /** Absolute path of the .tgz file. */
  tarball: string;
}

/**
 * Pack each package into `destination` with one `pnpm -r pack` (pnpm starts once, packs in
 * parallel). `root` is the workspace the packages belong to.
 */
export async function packPackages(packages: readonly WorkspacePackage[], destination: string, root: string = repoRoot): Promise<PackedPackage[]> {
  if (packages.length === 0) return [];
  mkdirSync(destination, { recursive: true });
  const filters = packages.flatMap((p) => ["--filter", p.name]);
  const { stdout } = await runOrThrow("pnpm", ["-r", ...filters, "pack", "--pack-destination", destination, "--json"], { cwd: root });
  const parsed = JSON.parse(stdout) as { name: string; filename: string } | { name: string; filename: string }[];
  const tarballs = new Map((Array.isArray(parsed) ? parsed : [parsed]).map((r) => [r.name, path.resolve(destination, r.filename)]));
  return packages.map((pkg) => {
    const tarball = tarballs.get(pkg.name);
    if (!tarball) throw new Error(`pnpm pack made no tarball for ${pkg.name}`);
    return { ...pkg, tarball };
  });
}

if (import.meta.main) {
  const destination = path.resolve(process.argv[2] ?? mkdtempSync(path.join(tmpdir(), "themis-pack-")));
  for (const p of await packPackages(await packagesToPack(), destination)) console.log(`${p.name}@${p.version}\t${p.tarball}`);
}
