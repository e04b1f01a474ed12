import { mkdirSync, readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { runOrThrow } from "./run-command.ts";
import type { PackageManifest } from "./workspace-packages.ts";

/** What a package tarball holds. */
export interface TarballContents {
  /** Every file, relative to the package root ("dist/index.js"), sorted. */
  files: string[];
  /** The package.json as it would be published. */
  manifest: PackageManifest;
  /** The folder it was unpacked into (its package root). */
  dir: string;
  /** Text of one file of the package. */
  read(file: string): string;
}

/**
 * Unpack `tarball` into `into` and list it. npm tarballs hold everything under a single
 * "package/" folder; an entry outside it would be a packing bug, so it is reported as such.
 */
export async function inspectTarball(tarball: string, into: string): Promise<TarballContents> {
  mkdirSync(into, { recursive: true });
  const { stdout } = await runOrThrow("tar", ["-tzf", tarball], { cwd: into });
  const outside = stdout.split("\n").filter((entry) => entry !== "" && !entry.startsWith("package/"));
  if (outside.length > 0) throw new Error(`${tarball} has entries outside package/: ${outside.join(", ")}`);
  await runOrThrow("tar", ["-xzf", tarball, "-C", into], { cwd: into });
  const dir = path.join(into, "package");
  const files = readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)).split(path.sep).join("/"))
    .sort();
  const read = (file: string): string => readFileSync(path.join(dir, file), "utf8");
  return { files, manifest: JSON.parse(read("package.json")) as PackageManifest, dir, read };
}
