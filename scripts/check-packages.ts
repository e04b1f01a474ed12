// Pack every package a release publishes (plus the third-party example) and check each
// tarball: contents, metadata, publint (strict) and attw --profile esm-only. The e2e test
// runs the same checks; this is the command-line form for CI and for checking by hand.
//
// Usage: node scripts/check-packages.ts [name...]
//   Checks every package, or only those named; builds stale ones first; exits 1 on problems.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import pLimit from "p-limit";
import { checkPackedPackage } from "./check-packed-package.ts";
import { ensureBuilt } from "./ensure-built.ts";
import { packPackages } from "./pack-packages.ts";
import { packagesToPack, workspacePackages } from "./workspace-packages.ts";

const work = mkdtempSync(path.join(tmpdir(), "themis-check-packages-"));
try {
  const only = process.argv.slice(2);
  const packages = (await packagesToPack()).filter((p) => only.length === 0 || only.includes(p.name));
  if (only.length > packages.length) throw new Error(`unknown package among: ${only.join(", ")}`);
  const built = await ensureBuilt(packages);
  if (built.length > 0) console.log(`built: ${built.join(", ")}`);
  const packed = await packPackages(packages, path.join(work, "tarballs"));
  const internal = new Map((await workspacePackages()).map((p) => [p.name, !p.private]));
  const limit = pLimit(2);
  const results = await Promise.all(packed.map((pkg) => limit(() => checkPackedPackage(pkg, internal, path.join(work, "unpacked")))));
  let failed = 0;
  for (const { pkg, problems, files } of results) {
    console.log(`${problems.length === 0 ? "ok  " : "FAIL"} ${pkg.name}@${pkg.version} (${files} files)`);
    for (const problem of problems) console.log(`       - ${problem.replaceAll("\n", "\n         ")}`);
    if (problems.length > 0) failed++;
  }
  console.log(`${results.length - failed} packages ok, ${failed} with problems`);
  process.exitCode = failed > 0 ? 1 : 0;
} finally {
  rmSync(work, { recursive: true, force: true });
}
