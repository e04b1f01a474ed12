import path from "node:path";
import { tarballProblems } from "./check-tarball.ts";
import { inspectTarball } from "./inspect-tarball.ts";
import { attwProblems, publintProblems } from "./lint-tarball.ts";
import type { PackedPackage } from "./pack-packages.ts";

/** One packed package and everything wrong with it. */
export interface PackageCheck {
  pkg: PackedPackage;
  files: number;
  problems: string[];
}

/**
 * Every check on one tarball: contents and metadata, publint, attw. `internal` maps each
 * workspace package name to whether it is published; `scratch` is where tarballs are unpacked.
 */
export async function checkPackedPackage(pkg: PackedPackage, internal: ReadonlyMap<string, boolean>, scratch: string): Promise<PackageCheck> {
  const contents = await inspectTarball(pkg.tarball, path.join(scratch, path.basename(pkg.tarball, ".tgz")));
  const problems = [...tarballProblems(contents, !pkg.private, internal), ...(await publintProblems(pkg.tarball)), ...(await attwProblems(pkg.tarball))];
  return { pkg, files: contents.files.length, problems };
}
