import type { StoredRow } from "@themis/core";
import { afterEach, beforeEach, expect, test } from "vitest";
import { definePipeline, planPipeline, runPipeline, stage } from "../src/index.js";
import { type QaRow, registry, tempProject } from "./helpers.js";

const N = 10;
let env: Awaited<ReturnType<typeof tempProject>>;
beforeEach(async () => {
  env = await tempProject(N);
});
afterEach(() => env.cleanup());

function pipeline(options: { version?: string; temperature?: number } = {}) {
  const gen = stage({
    dataset: "qa",
    execution: "local",
    task: (row: StoredRow<QaRow>) => (row.n === 9 && options.version === "broken" ? Promise.reject(new Error("x")) : row.n),
  });
  const mid = stage({ from: gen, execution: "local", taskVersion: options.version ?? "v1", task: (n) => n + 1 });
  const last = stage({ from: mid, execution: "local", parameters: { temperature: options.temperature ?? 0 }, task: (n) => n * 2 });
  return definePipeline({ name: "pl", stages: { gen, mid, last } });
}

const reasons = (plan: Awaited<ReturnType<typeof planPipeline>>) => Object.fromEntries(plan.stages.map((s) => [s.stage, s.reasons]));

test("plan says what runs and why, and creates nothing", async () => {
  const fresh = await planPipeline(env.project, pipeline(), { registry });
  expect(reasons(fresh)).toEqual({ gen: { new: N }, mid: { new: N }, last: { new: N } });
  expect(await env.project.listExperiments()).toEqual([]);

  await runPipeline(env.project, pipeline(), { registry });
  expect(reasons(await planPipeline(env.project, pipeline(), { registry }))).toEqual({ gen: { cached: N }, mid: { cached: N }, last: { cached: N } });

  await (await env.project.getDataset("qa")).update("r4", { q: "new", a: "NEW", n: 4 });
  const plan = await planPipeline(env.project, pipeline({ version: "v2", temperature: 1 }), { registry });
  expect(reasons(plan)).toEqual({
    gen: { cached: N - 1, "input-changed": 1 },
    mid: { "code-changed": N - 1, "upstream-changed": 1 },
    last: { "upstream-changed": N },
  });
  expect(plan.stages[0]!.examples["input-changed"]).toEqual(["r4"]);

  const paramsOnly = await planPipeline(env.project, pipeline({ temperature: 1 }), { registry, only: "last" });
  expect(paramsOnly.stages.map((s) => [s.stage, s.mode])).toEqual([
    ["mid", "stored"],
    ["last", "run"],
  ]);
  expect(paramsOnly.stages[1]!.reasons).toEqual({ "parameters-changed": N });
});

test("rows that failed are planned to run again", async () => {
  await runPipeline(env.project, pipeline({ version: "broken" }), { registry });
  const plan = await planPipeline(env.project, pipeline({ version: "broken" }), { registry });
  expect(plan.stages[0]!.reasons).toEqual({ cached: N - 1, "failed-before": 1 });
  expect(plan.stages[1]!.reasons).toEqual({ cached: N - 1, new: 1 });
});
