// Results written before result rows lost code_hash, params_hash and pipeline_run (now read
// from task_key and run_id) must still be read: cached, redone when they failed, kept apart
// from other code or parameters. The old rows are appended as an old version wrote them.
import { type StoredRow, compareRuns } from "@themis/core";
import { afterEach, beforeEach, expect, test } from "vitest";
import { definePipeline, runPipeline, stage, stageResults } from "../src/index.js";
import { type QaRow, registry, tempProject } from "./helpers.js";

const N = 12;
let calls: string[];
let envs: Awaited<ReturnType<typeof tempProject>>[];

beforeEach(() => {
  calls = [];
  envs = [];
});
afterEach(async () => {
  for (const env of envs) await env.cleanup();
});

function qaPipeline(model = "small") {
  const gen = stage({
    dataset: "qa",
    execution: "local",
    task: (row: StoredRow<QaRow>) => {
      calls.push(`gen:${row._row_id}`);
      return { prompt: row.q };
    },
  });
  const answer = stage({
    from: gen,
    execution: "local",
    parameters: { model },
    task: (p) => {
      calls.push(`answer:${p.prompt}`);
      return { text: `${p.prompt}/${model}` };
    },
  });
  return definePipeline({ name: "qa", stages: { gen, answer } });
}

const computed = (s: Awaited<ReturnType<typeof runPipeline>>) => Object.fromEntries(Object.entries(s.stages).map(([k, v]) => [k, v.counts.computed]));

/** A new-shaped result as the previous version stored it: with its code, parameters and pipeline run. */
function oldShaped(row: StoredRow): StoredRow {
  const key = String(row.task_key);
  const runId = String(row.run_id);
  return {
    ...row,
    code_hash: key.slice(0, key.indexOf(":")),
    params_hash: key.slice(key.indexOf(":") + 1),
    pipeline_run: runId.slice(0, runId.lastIndexOf(".")),
  };
}

/**
 * A project whose stage experiments hold the results of `qaPipeline()` in the old shape
 * (and no index: the previous index format is not what is tested here). `edit` may change
 * the rows before they are appended.
 */
async function oldProject(edit: (stage: string, rows: StoredRow[]) => StoredRow[] = (_, rows) => rows) {
  const source = await tempProject(N);
  envs.push(source);
  const old = await runPipeline(source.project, qaPipeline(), { registry });
  const target = await tempProject(N);
  envs.push(target);
  for (const name of ["gen", "answer"]) {
    const rows = await (await source.project.getExperiment(`qa-${name}`)).load();
    expect(rows[0]).not.toHaveProperty("code_hash");
    const experiment = await target.project.createExperiment(`qa-${name}`);
    await experiment.appendMany(edit(name, rows.map(oldShaped)));
  }
  // The stage runs' records too (core's `__runs`), for `runs compare`.
  const runs = await (await source.project.internalTable("experiment", "__runs")).load();
  await (await target.project.internalTable("experiment", "__runs")).appendMany(runs);
  calls = [];
  return Object.assign(target.project, { oldRun: old.runId });
}

test("new result rows hold neither code_hash, params_hash nor pipeline_run", async () => {
  const env = await tempProject(N);
  envs.push(env);
  const summary = await runPipeline(env.project, qaPipeline(), { registry });
  const rows = await (await env.project.getExperiment("qa-answer")).load();
  expect(rows).toHaveLength(N);
  for (const r of rows) {
    expect(r).not.toHaveProperty("code_hash");
    expect(r).not.toHaveProperty("params_hash");
    expect(r).not.toHaveProperty("pipeline_run");
    expect(r.run_id).toBe(`${summary.runId}.answer`);
  }
  // Read back, they still say what computed them.
  const current = await stageResults(env.project, qaPipeline(), "answer");
  const first = current.get("r0") as unknown as { task_key: string; code_hash: string; params_hash: string; pipeline_run: string };
  expect(`${first.code_hash}:${first.params_hash}`).toBe(first.task_key);
  expect(first.pipeline_run).toBe(summary.runId);
});

test("old results are reused: nothing is computed, on the run that rebuilds the index and on the next", async () => {
  const project = await oldProject();
  expect(computed(await runPipeline(project, qaPipeline(), { registry }))).toEqual({ gen: 0, answer: 0 });
  expect(computed(await runPipeline(project, qaPipeline(), { registry }))).toEqual({ gen: 0, answer: 0 });
  expect(calls).toEqual([]);
  expect((await stageResults(project, qaPipeline(), "answer")).get("r4")!.output).toEqual({ text: "q4/small" });
});

test("an old error row is redone (failed before), and only that row", async () => {
  const project = await oldProject((name, rows) =>
    rows.map((r) =>
      name === "gen" && r.dataset_row_id === "r3" ? { ...r, status: "error", output: null, error: { code: null, name: "Error", message: "boom" } } : r,
    ),
  );
  const summary = await runPipeline(project, qaPipeline(), { registry });
  expect(summary.status).toBe("completed");
  expect(computed(summary)).toEqual({ gen: 1, answer: 0 });
  expect(calls).toEqual(["gen:r3"]);
  const gen = await stageResults(project, qaPipeline(), "gen");
  expect(gen.get("r3")).toMatchObject({ status: "ok", output: { prompt: "q3" } });
  expect(computed(await runPipeline(project, qaPipeline(), { registry }))).toEqual({ gen: 0, answer: 0 });
});

test("new results are appended after old ones; going back to the old parameters reuses the old rows", async () => {
  const project = await oldProject();
  const large = await runPipeline(project, qaPipeline("large"), { registry });
  expect(computed(large)).toEqual({ gen: 0, answer: N });
  // `themis runs compare` joins the old stage run's rows (old shape) with the new one's.
  const compared = await compareRuns(project, `${project.oldRun}.answer`, large.stages.answer!.runId!);
  expect(compared).toMatchObject({ a: { rows: N, errorRate: 0 }, b: { rows: N, errorRate: 0 }, both: N, onlyInA: [], onlyInB: [] });
  calls = [];
  expect(computed(await runPipeline(project, qaPipeline(), { registry }))).toEqual({ gen: 0, answer: 0 });
  expect(computed(await runPipeline(project, qaPipeline("large"), { registry }))).toEqual({ gen: 0, answer: 0 });
  expect(calls).toEqual([]);
  // One table, both shapes: the old rows are the small model's, the new ones the large one's.
  const rows = await (await project.getExperiment("qa-answer")).load();
  expect(rows).toHaveLength(2 * N);
  const r2 = rows.filter((r) => r.dataset_row_id === "r2");
  expect(r2.map((r) => [typeof r.code_hash === "string", r.output])).toEqual([
    [true, { text: "q2/small" }],
    [false, { text: "q2/large" }],
  ]);
  // Read from the table itself (not the index): the latest is the large model's.
  expect((await stageResults(project, qaPipeline(), "answer")).get("r2")!.output).toEqual({ text: "q2/large" });
});
