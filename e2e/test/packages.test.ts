import path from "node:path";
import { describe, expect, inject, it } from "vitest";
import { tarballProblems } from "../../scripts/check-tarball.ts";
import { inspectTarball } from "../../scripts/inspect-tarball.ts";
import { attwProblems, publintProblems } from "../../scripts/lint-tarball.ts";

// What `pnpm publish` would upload, checked file by file: the same checks as
// `node scripts/check-packages.ts`, one test each so a failure names the package and the check.
const { work, packages, published } = inject("e2e");
const internal = new Map(Object.entries(published));

describe("the packed packages", () => {
  it("include every published package of the workspace and the third-party example", () => {
    const names = packages.map((p) => p.name);
    expect(names).toEqual(expect.arrayContaining(["@themis/core", "@themis/conformance", "@themis/cli", "@themis/backend-local-csv", "themis-backend-jsonl"]));
  });
});

for (const pkg of packages) {
  describe(`${pkg.name} tarball`, () => {
    it("holds only its own build output, sources and docs, with real dependency ranges and complete metadata", async () => {
      const contents = await inspectTarball(pkg.tarball, path.join(work, "unpacked", path.basename(pkg.tarball, ".tgz")));
      expect(contents.files).toContain("package.json");
      expect(contents.manifest.version).toBe(pkg.version);
      expect(tarballProblems(contents, !pkg.private, internal)).toEqual([]);
    });
    it("passes publint (warnings count as errors)", async () => {
      expect(await publintProblems(pkg.tarball)).toEqual([]);
    });
    it("passes attw --profile esm-only", async () => {
      expect(await attwProblems(pkg.tarball)).toEqual([]);
    });
  });
}
