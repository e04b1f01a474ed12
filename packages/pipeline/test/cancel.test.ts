import { type StoredRow, getRun, requestCancel } from "@themis/core";
import { afterEach, beforeEach, expect, test } from "vitest";
import { cancelPipelineRun, definePipeline, listPipelineRuns, runPipeline, stage } from "../src/index.js";
import { type QaRow, registry, tempProject } from "./helpers.js";

const N = 12;
// Cancel requests are read at each heartbeat. Not shorter: a run counts as dead after four
// missed beats, and at 30 ms a loaded machine (process tests in parallel) stalled a beat past that.
const HEARTBEAT_MS = 250;
let env: Awaited<ReturnType<typeof tempProject>>;
let open: () => void;
let gate: Promise<void>;

beforeEach(async () => {
  env = await tempProject(N);
  gate = new Promise((resolve) => (open = resolve));
});
afterEach(async () => {
  open();
  await env.cleanup();
});

/** gen -> slow -> after, and gen -> side; slow holds every row but r0 and r1 until the gate opens. */
function pipeline() {
  const gen = stage({ dataset: "qa", execution: "local", task: (row: StoredRow<QaRow>) => ({ q: row.q }) });
  const slow = stage({
    from: gen,
    execution: "local",
    concurrency: 2,
    task: async (g) => {
      if (g.q !== "q0" && g.q !== "q1") await gate;
      return { a: g.q };
    },
  });
  const after = stage({ from: slow, execution: "local", task: (s) => ({ b: s.a }) });
  const side = stage({ from: gen, execution: "local", task: (g) => ({ len: g.q.length }) });
  return definePipeline({ name: "c", stages: { gen, slow, after, side } });
}

/** The running pipeline run's record, once its stage `stage` has computed `rows` rows. */
async function running(stage: string, rows: number) {
  for (;;) {
    const run = (await listPipelineRuns(env.project, "c")).find((r) => r.status === "running");
    const id = run?.stages[stage]?.run_id;
    // The stage run records are written just after the pipeline run's.
    const stageRun = id ? await getRun(env.project, id).catch(() => undefined) : undefined;
    if (run && stageRun && stageRun.counts.succeeded >= rows) return run;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

test("cancelling a stage run (themis runs cancel) stops that stage and the stages downstream of it; a resumed run finishes them", async () => {
  const run = runPipeline(env.project, pipeline(), { registry, heartbeatMs: HEARTBEAT_MS });
  const record = await running("slow", 2);
  const slowRun = record.stages.slow?.run_id ?? "";
  await requestCancel(env.project, slowRun, "enough of slow");
  const summary = await run;
  expect(summary.status).toBe("cancelled");
  expect(summary.stages.gen?.counts.computed).toBe(N);
  expect(summary.stages.side?.counts.computed).toBe(N);
  expect(summary.stages.slow?.counts.computed).toBe(2);
  expect(summary.stages.after?.counts.computed).toBeLessThanOrEqual(2);
  expect(await getRun(env.project, slowRun)).toMatchObject({ status: "cancelled", reason: "enough of slow" });
  expect(await getRun(env.project, record.stages.after?.run_id ?? "")).toMatchObject({ status: "cancelled", reason: "enough of slow" });
  expect(await getRun(env.project, record.stages.gen?.run_id ?? "")).toMatchObject({ status: "completed" });
  const [stored] = await listPipelineRuns(env.project, "c");
  expect(stored).toMatchObject({ status: "cancelled", stages: { slow: { status: "cancelled" }, gen: { status: "completed" }, side: { status: "completed" } } });

  // Resumed under the same run ids: the old request does not stop it again (the gate opens
  // once the resumed run has beaten twice, so its requests were read at least once).
  open();
  gate = new Promise((resolve) => (open = resolve));
  const resuming = runPipeline(env.project, pipeline(), { registry, heartbeatMs: HEARTBEAT_MS, resume: true });
  const beats = new Set<string>();
  while (beats.size < 3) {
    const [r] = await listPipelineRuns(env.project, "c");
    if (r?.status === "running" && r.resumed === 1) beats.add(r.heartbeat_at);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  open();
  const resumed = await resuming;
  expect(resumed.runId).toBe(summary.runId);
  expect(resumed.status).toBe("completed");
  expect(resumed.stages.slow?.counts).toMatchObject({ computed: N - 2, cached: 2 });
  expect(await getRun(env.project, slowRun)).toMatchObject({ status: "completed" });
});

test("cancelling the pipeline run stops every stage; unknown and finished runs are told apart", async () => {
  const run = runPipeline(env.project, pipeline(), { registry, heartbeatMs: HEARTBEAT_MS });
  const record = await running("slow", 2);
  expect(await cancelPipelineRun(env.project, record._row_id, "stop all")).toMatchObject({ requested: true, run: { status: "running" } });
  const summary = await run;
  expect(summary.status).toBe("cancelled");
  expect(summary.stages.slow?.counts.computed).toBe(2);
  for (const stage of ["gen", "slow", "after", "side"]) {
    expect(await getRun(env.project, record.stages[stage]?.run_id ?? "")).toMatchObject({ status: "cancelled", reason: "stop all" });
  }
  // Finished: left alone (its record says how it ended).
  expect(await cancelPipelineRun(env.project, record._row_id)).toMatchObject({ requested: false, run: { status: "cancelled" } });
  await expect(cancelPipelineRun(env.project, "no-such-run")).rejects.toMatchObject({ code: "ERR_THEMIS_NOT_FOUND" });
});
