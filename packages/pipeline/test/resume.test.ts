import { spawn } from "node:child_process";
import { hostname } from "node:os";
import { afterEach, beforeEach, expect, test } from "vitest";
import { definePipeline, listPipelineRuns, moduleTask, runPipeline, stage } from "../src/index.js";
import { resumePipeline } from "./fixtures/resume-pipeline.js";
import { registry, tempProject } from "./helpers.js";

const N = 12;
let env: Awaited<ReturnType<typeof tempProject>>;
beforeEach(async () => {
  env = await tempProject(N);
});
afterEach(() => env.cleanup());

async function rowsOf(experiment: string): Promise<number> {
  try {
    return (await (await env.project.getExperiment(experiment)).load()).length;
  } catch {
    return 0;
  }
}

/** Start the resume pipeline in a child, wait until 5 rows are stored in both stages, kill -9 it (mid-block with few claim blocks). */
async function killMidway(claimBlocks?: number): Promise<void> {
  const blocks = claimBlocks === undefined ? {} : { THEMIS_TEST_CLAIM_BLOCKS: String(claimBlocks) };
  const child = spawn(process.execPath, [new URL("./fixtures/run-until-killed.ts", import.meta.url).pathname, env.dir], {
    env: { ...process.env, THEMIS_TEST_HANG: "1", ...blocks },
    stdio: ["ignore", "inherit", "inherit"],
  });
  const exited = new Promise((resolve) => child.once("exit", resolve));
  // Wait on the condition (five rows stored in both stages), never on time.
  while ((await rowsOf("k-gen")) < 5 || (await rowsOf("k-double")) < 5) {
    if (child.exitCode !== null) throw new Error(`the child exited early (${child.exitCode})`);
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill("SIGKILL");
  await exited;
}

test("resume continues a killed pipeline: finished rows are kept, the run record is taken over", async () => {
  await killMidway();
  const [killed] = await listPipelineRuns(env.project, "k");
  expect(killed!.status).toBe("running");

  const pipeline = resumePipeline({ definePipeline, moduleTask, stage });
  const summary = await runPipeline(env.project, pipeline, { registry, resume: true });
  expect(summary.runId).toBe(killed!._row_id);
  expect(summary.status).toBe("completed");
  expect(summary.stages.gen!.counts).toMatchObject({ cached: 5, computed: N - 5 });
  expect(summary.stages.double!.counts).toMatchObject({ cached: 5, computed: N - 5 });
  const runs = await listPipelineRuns(env.project, "k");
  expect(runs).toHaveLength(1);
  expect(runs[0]).toMatchObject({ status: "completed", resumed: 1 });
  // The record names the process that resumed it, not the killed one: others judge its liveness by it.
  expect(killed!.pid).not.toBe(process.pid);
  expect(runs[0]).toMatchObject({ host: hostname(), pid: process.pid, runner: { pid: process.pid, host: hostname() } });
  const doubled = await (await env.project.getExperiment("k-double")).load();
  expect(doubled.map((r) => r.output).sort((a, b) => (a as number) - (b as number))).toEqual(Array.from({ length: N }, (_, i) => i * 2));
});

test("a new run after kill -9 takes over the dead runner's claims at once (its process is gone) and loses no row", async () => {
  await killMidway();
  const pipeline = resumePipeline({ definePipeline, moduleTask, stage });
  const summary = await runPipeline(env.project, pipeline, { registry });
  expect(summary.status).toBe("completed");
  expect(summary.stages.gen?.counts).toMatchObject({ cached: 5, computed: N - 5, elsewhere: 0 });
  const runs = await listPipelineRuns(env.project, "k");
  expect(runs.map((r) => r.status)).toEqual(["running", "completed"]); // the killed one stays as it was left
  expect(await rowsOf("k-double")).toBe(N);
});

test("a runner killed mid-block: a new run takes its blocks over, runs its unfinished rows and not its finished ones", async () => {
  // 2 blocks (r1, r2, r4, r5, r7, r8 and r0, r3, r6, r9-r11): each holds stored rows (r0-r4) and hanging ones.
  await killMidway(2);
  const [killed] = await listPipelineRuns(env.project, "k");
  const pipeline = resumePipeline({ definePipeline, moduleTask, stage });
  const summary = await runPipeline(env.project, pipeline, { registry, claimBlocks: 2 });
  expect(summary.status).toBe("completed");
  expect(summary.stages.gen?.counts).toMatchObject({ cached: 5, computed: N - 5, elsewhere: 0 });
  const gen = await (await env.project.getExperiment("k-gen")).load();
  expect(gen).toHaveLength(N);
  // A result's stage run id is `<pipeline run>.<stage>`.
  expect(gen.filter((r) => r.run_id === `${killed!._row_id}.gen`)).toHaveLength(5);
  // Each block the killed run claimed was taken over with the next generation.
  const claims = await (await env.project.internalTable("experiment", "__claims.k-gen")).load();
  const held = claims.filter((c) => c.released !== true);
  expect(held.filter((c) => c.pipeline_run === killed!._row_id).map((c) => c.generation)).toEqual([0, 0]);
  expect(held.filter((c) => c.pipeline_run === summary.runId).map((c) => c.generation)).toEqual([1, 1]);
  expect(await rowsOf("k-double")).toBe(N);
});
