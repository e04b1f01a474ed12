import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { Registry, type StoredRow, getRun, listRuns, runState } from "@themis/core";
import { exportPostprocessor, summaryPostprocessor } from "@themis/postprocess";
import { afterEach, beforeEach, expect, test } from "vitest";
import { definePipeline, listPipelineRuns, runPipeline, stage } from "../src/index.js";
import { type QaRow, tempProject } from "./helpers.js";

const N = 10;
let env: Awaited<ReturnType<typeof tempProject>>;
const registry = new Registry({ discover: false }).register(summaryPostprocessor).register(exportPostprocessor);
beforeEach(async () => {
  env = await tempProject(N);
});
afterEach(() => env.cleanup());

function pipeline(exportPath: string, exportConfig: Record<string, unknown> = {}) {
  const answer = stage({ dataset: "qa", execution: "local", task: (row: StoredRow<QaRow>) => ({ text: row.q.toUpperCase(), expected: row.a }) });
  const score = stage({
    from: answer,
    execution: "sequential",
    task: (a) => ({ correct: a.text === a.expected, length: a.text.length }),
    postprocess: [{ use: "summary" }, { use: "export", config: { path: exportPath, overwrite: true, ...exportConfig } }],
  });
  return definePipeline({ name: "pp", stages: { answer, score } });
}

test("a stage's postprocessors run on its results once it is done, and report in the summary and the run record", async () => {
  const file = path.join(env.dir, "scores.jsonl");
  const summary = await runPipeline(env.project, pipeline(file), { registry });
  expect(summary.status).toBe("completed");
  const [stats, exported] = summary.stages.score?.postprocess ?? [];
  expect(stats).toMatchObject({ postprocessor: "summary", rows: N, data: { metrics: { correct: { count: N, mean: 1 }, length: { min: 2, max: 2 } } } });
  expect(exported).toMatchObject({ postprocessor: "export", rows: N, artifacts: [file] });
  expect(readFileSync(file, "utf8").trimEnd().split("\n")).toHaveLength(N);
  const [record] = await listPipelineRuns(env.project, "pp");
  expect(record?.stages.score?.postprocess).toMatchObject([{ postprocessor: "summary" }, { postprocessor: "export" }]);
  // A second run with nothing changed still postprocesses the (cached) results.
  const again = await runPipeline(env.project, pipeline(file), { registry });
  expect(again.stages.score?.postprocess[0]).toMatchObject({ rows: N });
});

test("a postprocessor that fails makes the run failed and keeps the stage's rows", async () => {
  const file = path.join(env.dir, "taken.jsonl");
  writeFileSync(file, "mine\n");
  const summary = await runPipeline(env.project, pipeline(file, { overwrite: false }), { registry });
  expect(summary.status).toBe("failed");
  expect(summary.stages.score?.postprocess[1]).toMatchObject({ postprocessor: "export", error: { code: "ERR_THEMIS_ALREADY_EXISTS" } });
  expect(summary.stages.score?.counts).toMatchObject({ computed: N, failed: 0 });
  expect(readFileSync(file, "utf8")).toBe("mine\n");
});

test("an invalid postprocessor config fails before any stage runs", async () => {
  const file = path.join(env.dir, "x.csv");
  await expect(runPipeline(env.project, pipeline(file, { format: "xlsx" }), { registry })).rejects.toMatchObject({ code: "ERR_THEMIS_INVALID_CONFIG" });
  await expect(runPipeline(env.project, pipeline(file), { registry: new Registry({ discover: false }) })).rejects.toMatchObject({
    code: "ERR_THEMIS_UNKNOWN_BACKEND",
  });
  expect(await env.project.listExperiments()).toEqual([]);
  expect(existsSync(file)).toBe(false);
});

test("each computed stage is a run in core's __runs (what `themis runs` lists), linked to its pipeline run", async () => {
  const summary = await runPipeline(env.project, pipeline(path.join(env.dir, "s.jsonl")), { registry });
  const runs = await listRuns(env.project);
  expect(runs.map((r) => r.experiment).sort()).toEqual(["pp-answer", "pp-score"]);
  for (const r of runs) {
    expect(r).toMatchObject({ status: "completed", pipeline: "pp", pipeline_run: summary.runId, counts: { total: N, succeeded: N, failed: 0 } });
    expect(runState(r)).toBe("completed");
  }
  const scoreRun = await getRun(env.project, summary.stages.score?.runId ?? "");
  // Result rows carry their stage run's id and task key: `themis runs show / compare` read them.
  const results = await (await env.project.getExperiment("pp-score")).load();
  expect(results.every((r) => r.run_id === scoreRun.run_id && r.task_key === scoreRun.task_key)).toBe(true);
  expect(scoreRun).toMatchObject({ experiment: "pp-score", executor: "sequential", dataset: "stages: answer" });
  const [record] = await listPipelineRuns(env.project, "pp");
  expect(record?.stages.answer?.run_id).toBe(summary.stages.answer?.runId);
  // Nothing changed: the second run's stages reuse every row (core's "skipped").
  const again = await runPipeline(env.project, pipeline(path.join(env.dir, "s.jsonl")), { registry });
  expect(await getRun(env.project, again.stages.answer?.runId ?? "")).toMatchObject({ counts: { succeeded: 0, skipped: N } });
});
