import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { listRuns } from "@themis/core";
import { afterEach, beforeEach, expect, test } from "vitest";
import { type PipelineRunSummary, listPipelineRuns } from "../src/index.js";
import { tempProject } from "./helpers.js";

const N = 60;
let env: Awaited<ReturnType<typeof tempProject>>;
beforeEach(async () => {
  env = await tempProject(N);
});
afterEach(() => env.cleanup());

function runner(name: string, barrier: string, claimBlocks?: number): Promise<PipelineRunSummary> {
  const blocks = claimBlocks === undefined ? {} : { THEMIS_TEST_CLAIM_BLOCKS: String(claimBlocks) };
  const child = spawn(process.execPath, [new URL("./fixtures/run-concurrent.ts", import.meta.url).pathname, env.dir, name], {
    env: { ...process.env, THEMIS_TEST_BARRIER: barrier, ...blocks },
    stdio: ["ignore", "pipe", "inherit"],
  });
  let out = "";
  child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
  return new Promise((resolve, reject) =>
    child.once("exit", (code) => (code === 0 ? resolve(JSON.parse(out) as PipelineRunSummary) : reject(new Error(`runner ${name} exited with ${code}`)))),
  );
}

// Default blocks (about one row each at this size), and 3 blocks of about 20 rows each.
test.each([
  ["the default 1024 claim blocks", undefined],
  ["3 claim blocks", 3],
] as const)("two processes running one pipeline at once compute each row once and lose none (%s)", async (_label, blocks) => {
  const barrier = mkdtempSync(path.join(tmpdir(), "themis-barrier-"));
  const [a, b] = await Promise.all([runner("a", barrier, blocks), runner("b", barrier, blocks)]);
  expect([a.status, b.status]).toEqual(["completed", "completed"]);
  for (const stage of ["gen", "square"] as const) {
    const ca = a.stages[stage]?.counts;
    const cb = b.stages[stage]?.counts;
    // Every row is computed by exactly one runner; the other one takes its result.
    expect((ca?.computed ?? 0) + (cb?.computed ?? 0)).toBe(N);
    expect((ca?.computed ?? 0) + (ca?.elsewhere ?? 0) + (ca?.cached ?? 0)).toBe(N);
    expect((cb?.computed ?? 0) + (cb?.elsewhere ?? 0) + (cb?.cached ?? 0)).toBe(N);
    const rows = await (await env.project.getExperiment(`c-${stage}`)).load();
    expect(rows).toHaveLength(N);
    expect(new Set(rows.map((r) => r.dataset_row_id)).size).toBe(N);
  }
  const squares = await (await env.project.getExperiment("c-square")).load();
  expect(squares.map((r) => r.output).sort((x, y) => (x as number) - (y as number))).toEqual(Array.from({ length: N }, (_, i) => i * i));
  // Both runs and their stage runs are recorded, and linked.
  expect((await listPipelineRuns(env.project, "c")).map((r) => r.status)).toEqual(["completed", "completed"]);
  const stageRuns = await listRuns(env.project);
  expect(stageRuns).toHaveLength(4);
  expect(new Set(stageRuns.map((r) => r.pipeline_run))).toEqual(new Set([a.runId, b.runId]));
});
