// The claims suite's own plumbing, from the BUILT package (dist/), as an installed copy runs:
// its runner script is found next to the module and runs under plain Node, finding
// @themis/core from where the package is, and loading the backend by file URL and export.
// (The suite itself runs in the local/csv, redis and s3 packages, on stores that processes
// share; core's memory backend is one process's memory, so here a runner can only get as
// far as opening its project.)
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { resolveModuleFile } from "@themis/core";
import { RUNNER_SCRIPT, type RunnerJob, startRunner } from "../dist/claims/processes.js";
import { resolveClaimsOptions } from "../src/claims/options.js";

const DIST = fileURLToPath(new URL("../dist/", import.meta.url));
// core's built entry, as the runner of an installed package would load a backend package.
const CORE = pathToFileURL(resolveModuleFile("@themis/core", DIST)).href;

function job(dir: string, extra: Partial<RunnerJob>): RunnerJob {
  const marker = path.join(dir, "marks.txt");
  writeFileSync(marker, "");
  return { backend: CORE, exportName: "memoryBackend", config: {}, marker, tag: "a", heartbeatMs: 200, delayMs: 5, concurrency: 1, ...extra };
}

describe("claims suite: the runner process of the built package", () => {
  it("is the compiled runner.js next to the built module", () => {
    expect(RUNNER_SCRIPT).toBe(path.join(DIST, "claims", "runner.js"));
    expect(existsSync(RUNNER_SCRIPT)).toBe(true);
  });

  it("loads the backend's definition by URL and export, and opens the project through it", { timeout: 30_000 }, async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "themis-claims-self-"));
    try {
      const runner = startRunner(job(dir, {}));
      // Got as far as Project.open on the memory backend: its store has no project "claims".
      await expect(runner.ready).rejects.toThrow('[memory] project "claims" does not exist');
      const end = await runner.exited;
      expect(end.code).not.toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("fails loudly on an export the module does not have", { timeout: 30_000 }, async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "themis-claims-self-"));
    try {
      const runner = startRunner(job(dir, { exportName: "noSuchBackend" }));
      await expect(runner.ready).rejects.toThrow(/has no export "noSuchBackend"/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("claims suite options", () => {
  const base = { name: "x", module: "x", exportName: "x", definition: {} as never, store: () => ({ config: {} }) };
  it("fill in the defaults", () => {
    expect(resolveClaimsOptions(base)).toMatchObject({
      heartbeatMs: 500,
      rows: 640,
      killSeeds: [1, 2, 3],
      smallRows: [1, 64, 65],
      timeout: 60_000,
      smallTimeout: 30_000,
    });
  });
  it("refuse a dataset too small for the frozen and killed tests", () => {
    expect(() => resolveClaimsOptions({ ...base, rows: 100 })).toThrow(/at least 192/);
  });
  it("run every area by default, skewed clocks too", () => {
    expect(resolveClaimsOptions(base).areas).toEqual(["frozen", "killed", "small", "appended", "skewed"]);
  });
  it("refuse a timeout of 2 minutes or more with the skewed area (a test must be shorter than the skew), not without it", () => {
    expect(() => resolveClaimsOptions({ ...base, timeout: 120_000 })).toThrow(/under 120000 ms/);
    expect(resolveClaimsOptions({ ...base, timeout: 120_000, areas: ["killed"] }).timeout).toBe(120_000);
  });
});
