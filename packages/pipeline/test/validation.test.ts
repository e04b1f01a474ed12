import { InvalidConfigError, NotFoundError, type StoredRow, UnknownBackendError } from "@themis/core";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { PipelineDefinitionError, definePipeline, runPipeline, stage } from "../src/index.js";
import { type QaRow, registry, tempProject } from "./helpers.js";

let env: Awaited<ReturnType<typeof tempProject>>;
beforeEach(async () => {
  env = await tempProject(3);
});
afterEach(() => env.cleanup());

const root = () => stage({ dataset: "qa", execution: "local", task: (row: StoredRow<QaRow>) => row.n });

function problemOf(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(PipelineDefinitionError);
    expect((error as PipelineDefinitionError).code).toBe("ERR_THEMIS_INVALID_CONFIG");
    return { problem: (error as PipelineDefinitionError).problem, stages: (error as PipelineDefinitionError).stages };
  }
  throw new Error("expected a PipelineDefinitionError");
}

describe("validation before anything runs", () => {
  test("a cycle names its path", () => {
    const a = stage({ from: "c", task: (x) => x });
    const b = stage({ from: "a", task: (x) => x });
    const c = stage({ from: "b", task: (x) => x });
    expect(problemOf(() => definePipeline({ stages: { a, b, c } }))).toEqual({ problem: "cycle", stages: ["a", "c", "b", "a"] });
  });

  test("an unknown stage, by name or by a stage object left out of `stages`", () => {
    expect(problemOf(() => definePipeline({ stages: { b: stage({ from: "nope", task: (x) => x }) } }))).toEqual({
      problem: "unknown-stage",
      stages: ["b", "nope"],
    });
    const orphan = root();
    expect(problemOf(() => definePipeline({ stages: { b: stage({ from: orphan, task: (x) => x }) } }))).toEqual({ problem: "unknown-stage", stages: ["b"] });
  });

  test("a stage without input, or with both inputs, or without a task", () => {
    const noInput = { kind: "themis.pipeline.stage", task: () => 1 } as never;
    expect(problemOf(() => definePipeline({ stages: { x: noInput } }))).toEqual({ problem: "missing-input", stages: ["x"] });
    const noTask = { kind: "themis.pipeline.stage", dataset: "qa" } as never;
    expect(problemOf(() => definePipeline({ stages: { x: noTask } }))).toEqual({ problem: "missing-task", stages: ["x"] });
    expect(problemOf(() => definePipeline({ stages: {} }))).toMatchObject({ problem: "missing-input" });
  });

  test("an unknown executor is core's UnknownBackendError, and nothing is created", async () => {
    const pipeline = definePipeline({ name: "v", stages: { a: root(), b: stage({ from: "a", execution: "lokal", task: (x) => x }) } });
    const error = await runPipeline(env.project, pipeline, { registry }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnknownBackendError);
    expect((error as UnknownBackendError).suggestion).toBe("local");
    expect(await env.project.listExperiments()).toEqual([]);
  });

  test("an executor config that fails its schema is an InvalidConfigError naming the field", async () => {
    const pipeline = definePipeline({
      name: "v",
      stages: { a: stage({ dataset: "qa", execution: "local", executionConfig: { concurrency: "many" }, task: (r) => r }) },
    });
    const error = await runPipeline(env.project, pipeline, { registry }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidConfigError);
    expect((error as InvalidConfigError).issues[0]!.path).toContain("concurrency");
    expect(await env.project.listExperiments()).toEqual([]);
  });

  test("a missing dataset or module is NotFound before anything runs; only/from must name a stage", async () => {
    const noData = definePipeline({ name: "v", stages: { a: stage({ dataset: "nope", execution: "local", task: (r) => r }) } });
    await expect(runPipeline(env.project, noData, { registry })).rejects.toBeInstanceOf(NotFoundError);
    const noModule = definePipeline({
      name: "v",
      stages: { a: stage({ dataset: "qa", execution: "local", task: { kind: "module", module: "./missing.ts", resolveFrom: import.meta.dirname } }) },
    });
    await expect(runPipeline(env.project, noModule, { registry })).rejects.toBeInstanceOf(NotFoundError);
    const ok = definePipeline({ name: "v", stages: { a: root() } });
    await expect(runPipeline(env.project, ok, { registry, only: "b" })).rejects.toMatchObject({ problem: "unknown-stage" });
    expect(await env.project.listExperiments()).toEqual([]);
  });
});
