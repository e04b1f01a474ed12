import { writeFileSync } from "node:fs";
import path from "node:path";
import type { StoredRow } from "@themis/core";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { definePipeline, listPipelineRuns, moduleTask, runPipeline, stage, stageResults } from "../src/index.js";
import { type QaRow, registry, tempProject } from "./helpers.js";

const N = 20;
let calls: { gen: string[]; answer: string[]; score: string[] };
let env: Awaited<ReturnType<typeof tempProject>>;

beforeEach(async () => {
  calls = { gen: [], answer: [], score: [] };
  env = await tempProject(N);
});
afterEach(() => env.cleanup());

/** generate -> answer -> score (score joins answer and generate). `variant` changes answer's code. */
function qaPipeline(options: { model?: string; variant?: boolean } = {}) {
  const gen = stage({
    dataset: "qa",
    execution: "local",
    task: (row: StoredRow<QaRow>) => {
      calls.gen.push(row._row_id);
      return { prompt: row.q, expected: row.a };
    },
  });
  const answer = stage({
    from: gen,
    execution: "local",
    concurrency: 4,
    parameters: { model: options.model ?? "small" },
    task: options.variant
      ? (p) => {
          calls.answer.push(p.prompt);
          return { text: p.prompt.toUpperCase(), variant: true };
        }
      : (p) => {
          calls.answer.push(p.prompt);
          return { text: p.prompt.toUpperCase() };
        },
  });
  const score = stage({
    from: { answer, gen },
    execution: "sequential",
    task: (x) => {
      calls.score.push(x.gen.prompt);
      return { exact: x.answer.text === x.gen.expected };
    },
  });
  return definePipeline({ name: "qa", stages: { gen, answer, score } });
}

const computed = (s: Awaited<ReturnType<typeof runPipeline>>) => Object.fromEntries(Object.entries(s.stages).map(([k, v]) => [k, v.counts.computed]));

describe("row-granular caching", () => {
  test("a first run computes every row of every stage and stores it in the stage's experiment", async () => {
    const summary = await runPipeline(env.project, qaPipeline(), { registry });
    expect(summary.status).toBe("completed");
    expect(computed(summary)).toEqual({ gen: N, answer: N, score: N });
    const scores = await (await env.project.getExperiment("qa-score")).load();
    expect(scores).toHaveLength(N);
    expect(scores.every((r) => r.status === "ok" && (r.output as { exact: boolean }).exact)).toBe(true);
    expect(new Set(scores.map((r) => r.dataset_row_id))).toEqual(new Set(Array.from({ length: N }, (_, i) => `r${i}`)));
  });

  test("a second run with nothing changed computes nothing", async () => {
    await runPipeline(env.project, qaPipeline(), { registry });
    calls = { gen: [], answer: [], score: [] };
    const summary = await runPipeline(env.project, qaPipeline(), { registry });
    expect(computed(summary)).toEqual({ gen: 0, answer: 0, score: 0 });
    expect(summary.stages.score!.counts.cached).toBe(N);
    expect(calls).toEqual({ gen: [], answer: [], score: [] });
  });

  test("changing two dataset rows recomputes those two rows in every stage", async () => {
    await runPipeline(env.project, qaPipeline(), { registry });
    const qa = await env.project.getDataset("qa");
    await qa.update("r3", { q: "changed", a: "CHANGED", n: 3 });
    await qa.update("r7", { q: "other", a: "nope", n: 7 });
    calls = { gen: [], answer: [], score: [] };
    const summary = await runPipeline(env.project, qaPipeline(), { registry });
    expect(computed(summary)).toEqual({ gen: 2, answer: 2, score: 2 });
    expect(calls.gen.sort()).toEqual(["r3", "r7"]);
    const current = await stageResults(env.project, qaPipeline(), "score");
    expect(current.get("r7")!.output).toEqual({ exact: false });
    expect(current.size).toBe(N);
    // Recomputing appends (one row per dataset row and cache key); the old results stay.
    expect(await (await env.project.getExperiment("qa-score")).load()).toHaveLength(N + 2);
  });

  test("editing a stage's code recomputes it and what depends on it, nothing upstream", async () => {
    await runPipeline(env.project, qaPipeline(), { registry });
    calls = { gen: [], answer: [], score: [] };
    const summary = await runPipeline(env.project, qaPipeline({ variant: true }), { registry });
    expect(computed(summary)).toEqual({ gen: 0, answer: N, score: N });
    expect(calls.gen).toEqual([]);
  });

  test("changing a stage's parameters recomputes it and what depends on it", async () => {
    await runPipeline(env.project, qaPipeline(), { registry });
    const summary = await runPipeline(env.project, qaPipeline({ model: "large" }), { registry });
    expect(computed(summary)).toEqual({ gen: 0, answer: N, score: N });
    const again = await runPipeline(env.project, qaPipeline({ model: "large" }), { registry });
    expect(computed(again)).toEqual({ gen: 0, answer: 0, score: 0 });
    // Going back to earlier parameters reuses the results computed with them.
    const back = await runPipeline(env.project, qaPipeline(), { registry });
    expect(computed(back)).toEqual({ gen: 0, answer: 0, score: 0 });
  });

  test("only / from: a stage runs alone on its upstreams' stored results", async () => {
    await runPipeline(env.project, qaPipeline(), { registry });
    calls = { gen: [], answer: [], score: [] };
    const only = await runPipeline(env.project, qaPipeline({ variant: true }), { registry, only: "answer" });
    expect(Object.keys(only.stages)).toEqual(["gen", "answer"]);
    expect(only.stages.gen!.mode).toBe("stored");
    expect(computed(only)).toEqual({ gen: 0, answer: N });
    expect(calls.score).toEqual([]);
    const from = await runPipeline(env.project, qaPipeline({ model: "x" }), { registry, from: "answer" });
    expect(computed(from)).toEqual({ gen: 0, answer: N, score: N });
    expect(from.stages.gen!.mode).toBe("stored");
  });

  test("each run is recorded with its stages, their experiments and counts", async () => {
    const summary = await runPipeline(env.project, qaPipeline(), { registry });
    const [record] = await listPipelineRuns(env.project, "qa");
    expect(record!._row_id).toBe(summary.runId);
    expect(record!.status).toBe("completed");
    expect(record!.stages.score).toMatchObject({ experiment: "qa-score", mode: "run", executor: "sequential", status: "completed", counts: { computed: N } });
    expect(record!.stages.gen!.executor).toBe("local");
  });

  test("editing a module task's file recomputes its stage and downstream (the file's sha256 is in the key)", async () => {
    const file = path.join(env.dir, "score.mjs");
    writeFileSync(file, "export const score = (x) => x.n * 2;\n");
    const build = () => {
      const gen = stage({ dataset: "qa", execution: "local", task: (row: StoredRow<QaRow>) => ({ n: row.n }) });
      const sc = stage({ from: gen, execution: "local", task: moduleTask<number>({ module: file, export: "score" }) });
      const last = stage({ from: sc, execution: "local", task: (n) => n + 1 });
      return definePipeline({ name: "m", stages: { gen, sc, last } });
    };
    expect(computed(await runPipeline(env.project, build(), { registry }))).toEqual({ gen: N, sc: N, last: N });
    expect(computed(await runPipeline(env.project, build(), { registry }))).toEqual({ gen: 0, sc: 0, last: 0 });
    writeFileSync(file, "export const score = (x) => x.n * 3;\n");
    expect(computed(await runPipeline(env.project, build(), { registry }))).toEqual({ gen: 0, sc: N, last: N });
    expect((await stageResults(env.project, build(), "last")).get("r5")!.output).toBe(16);
  });
});
