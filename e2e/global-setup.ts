import { mkdtempSync, realpathSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { TestProject } from "vitest/node";
import { ensureBuilt } from "../scripts/ensure-built.ts";
import { packPackages } from "../scripts/pack-packages.ts";
import { packagesToPack, workspacePackages } from "../scripts/workspace-packages.ts";
import type { E2eContext } from "./context.ts";

const seconds = (since: number): string => `${((performance.now() - since) / 1000).toFixed(1)} s`;

/**
 * Build what is stale (nothing after `pnpm run build`), then pack every published package
 * and the third-party example once, into a scratch folder outside the workspace.
 * Set THEMIS_E2E_KEEP=1 to keep the scratch folder for a look after the run, and
 * THEMIS_E2E_ONLY=<name>,<name> to pack only some packages while others are being written
 * (the tests that need a missing package then fail, naming it).
 */
export default async function setup(project: TestProject): Promise<() => void> {
  const only = process.env.THEMIS_E2E_ONLY?.split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  const packages = (await packagesToPack()).filter((p) => !only?.length || only.includes(p.name));
  const started = performance.now();
  const built = await ensureBuilt(packages);
  if (built.length > 0) console.log(`[e2e] built stale packages in ${seconds(started)}: ${built.join(", ")}`);
  const work = realpathSync(mkdtempSync(path.join(tmpdir(), "themis-e2e-")));
  const packing = performance.now();
  const packed = await packPackages(packages, path.join(work, "tarballs"));
  console.log(`[e2e] packed ${packed.length} packages in ${seconds(packing)} into ${path.join(work, "tarballs")}`);
  const context: E2eContext = {
    work,
    packages: packed.map((p) => ({ name: p.name, version: p.version, private: p.private, tarball: p.tarball })),
    published: Object.fromEntries((await workspacePackages()).map((p) => [p.name, !p.private])),
  };
  project.provide("e2e", context);
  return () => {
    if (process.env.THEMIS_E2E_KEEP) console.log(`[e2e] scratch folder kept: ${work}`);
    else rmSync(work, { recursive: true, force: true });
  };
}
