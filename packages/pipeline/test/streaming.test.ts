import type { StoredRow } from "@themis/core";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { definePipeline, listPipelineRuns, runPipeline, stage, stageResults } from "../src/index.js";
import { type QaRow, registry, tempProject } from "./helpers.js";

let env: Awaited<ReturnType<typeof tempProject>>;
beforeEach(async () => {
  env = await tempProject(6);
});
afterEach(() => env.cleanup());

describe("streaming, fan-in, failure isolation", () => {
  test("a downstream row starts when its upstream row is done, not when the whole stage is", async () => {
    // Upstream rows after the first wait until the downstream stage has started row r0:
    // if stages ran one after the other this would never finish.
    let downstreamStarted!: () => void;
    const started = new Promise<void>((resolve) => (downstreamStarted = resolve));
    const up = stage({
      dataset: "qa",
      execution: "local",
      concurrency: 1,
      task: async (row: StoredRow<QaRow>) => {
        if (row._row_id !== "r0") await started;
        return { n: row.n };
      },
    });
    const down = stage({
      from: up,
      execution: "local",
      task: (x) => {
        downstreamStarted();
        return x.n * 2;
      },
    });
    const pipeline = definePipeline({ name: "s", stages: { up, down } });
    const summary = await runPipeline(env.project, pipeline, { registry });
    expect(summary.stages.down!.counts.computed).toBe(6);
    expect((await stageResults(env.project, pipeline, "down")).get("r5")!.output).toBe(10);
  });

  test("fan-in joins upstreams on dataset row id; rows one side lacks are unmatched", async () => {
    const small = await env.project.createDataset("small");
    await small.appendMany([
      { _row_id: "r1", w: 10 },
      { _row_id: "r2", w: 20 },
    ]);
    const a = stage({ dataset: "qa", execution: "local", task: (row: StoredRow<QaRow>) => row.n });
    const b = stage({ dataset: "small", execution: "local", task: (row: StoredRow<{ w: number }>) => row.w });
    const sum = stage({ from: { a, b }, execution: "local", task: ({ a, b }) => a + b });
    const pipeline = definePipeline({ name: "j", stages: { a, b, sum } });
    const summary = await runPipeline(env.project, pipeline, { registry });
    expect(summary.stages.sum!.counts).toMatchObject({ computed: 2, unmatched: 4 });
    const rows = await stageResults(env.project, pipeline, "sum");
    expect(Object.fromEntries([...rows].map(([id, r]) => [id, r.output]))).toEqual({ r1: 11, r2: 22 });
  });

  test("a failed row stops its downstream rows only, and is computed again next time", async () => {
    let broken = true;
    const up = stage({
      dataset: "qa",
      execution: "local",
      taskVersion: "v1",
      task: (row: StoredRow<QaRow>) => {
        if (broken && row._row_id === "r2") throw new Error("model unavailable");
        return row.n;
      },
    });
    const mid = stage({ from: up, execution: "local", task: (n) => n + 1 });
    const last = stage({ from: mid, execution: "local", task: (n) => n * 10 });
    const pipeline = definePipeline({ name: "f", stages: { up, mid, last } });
    const first = await runPipeline(env.project, pipeline, { registry });
    expect(first.status).toBe("failed");
    expect(first.stages.up!.counts).toMatchObject({ computed: 5, failed: 1 });
    expect(first.stages.mid!.counts).toMatchObject({ computed: 5, blocked: 1 });
    expect(first.stages.last!.counts).toMatchObject({ computed: 5, blocked: 1 });
    const failedRow = (await stageResults(env.project, pipeline, "up")).get("r2")!;
    expect(failedRow.status).toBe("error");
    expect((failedRow.error as { message: string }).message).toContain("model unavailable");

    broken = false;
    const second = await runPipeline(env.project, pipeline, { registry });
    expect(second.status).toBe("completed");
    expect(second.stages.up!.counts).toMatchObject({ computed: 1, cached: 5 });
    expect(second.stages.last!.counts).toMatchObject({ computed: 1, cached: 5 });
    expect((await stageResults(env.project, pipeline, "last")).get("r2")!.output).toBe(30);
    // The failed row's error row was replaced (same key), not kept beside its result.
    expect(await (await env.project.getExperiment("f-up")).load()).toHaveLength(6);
  });

  test("an output that is not JSON is an error row of that row", async () => {
    const up = stage({ dataset: "qa", execution: "local", task: (row: StoredRow<QaRow>) => (row.n === 1 ? { bad: () => 1 } : { ok: true }) });
    const pipeline = definePipeline({ name: "j2", stages: { up } });
    const summary = await runPipeline(env.project, pipeline, { registry });
    expect(summary.stages.up!.counts).toMatchObject({ computed: 5, failed: 1 });
    expect(((await stageResults(env.project, pipeline, "up")).get("r1")!.error as { code: string }).code).toBe("ERR_THEMIS_INVALID_ROW");
  });

  test("cancelling stops the run, records it cancelled, stores no cancelled row; resume finishes it", async () => {
    const controller = new AbortController();
    let cancel = true;
    let calls = 0;
    const up = stage({ dataset: "qa", execution: "local", task: (row: StoredRow<QaRow>) => row.n });
    const down = stage({
      from: up,
      execution: "local",
      concurrency: 1,
      taskVersion: "v1",
      task: async (n, ctx) => {
        // The third row cancels the run (rows arrive in completion order: count, not ids).
        if (!cancel || ++calls < 3) return n;
        controller.abort(new Error("enough"));
        await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve, { once: true }));
        throw ctx.signal.reason;
      },
    });
    const pipeline = definePipeline({ name: "c", stages: { up, down } });
    const first = await runPipeline(env.project, pipeline, { registry, signal: controller.signal });
    expect(first.status).toBe("cancelled");
    const stored = await (await env.project.getExperiment("c-down")).load();
    expect(stored.every((r) => r.status === "ok")).toBe(true);
    expect(stored).toHaveLength(2);
    expect((await listPipelineRuns(env.project, "c"))[0]!.status).toBe("cancelled");

    cancel = false;
    const second = await runPipeline(env.project, pipeline, { registry, resume: true });
    expect(second.runId).toBe(first.runId);
    expect(second.stages.down!.counts).toMatchObject({ cached: 2, computed: 4 });
  });
});
