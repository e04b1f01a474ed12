import type { StoredRow } from "@themis/core";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { definePipeline, runPipeline, stage } from "../src/index.js";
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
    const summary = await runPipeline(env.project, definePipeline({ name: "s", stages: { up, down } }), { registry });
    expect(summary.stages.down!.counts.computed).toBe(6);
    expect((await (await env.project.getExperiment("s-down")).get("r5")).output).toBe(10);
  });

  test("fan-in joins upstreams on dataset row id; rows one side lacks are unmatched", async () => {
    const small = await env.project.createDataset("small");
    await small.appendMany([{ _row_id: "r1", w: 10 }, { _row_id: "r2", w: 20 }]);
    const a = stage({ dataset: "qa", execution: "local", task: (row: StoredRow<QaRow>) => row.n });
    const b = stage({ dataset: "small", execution: "local", task: (row: StoredRow<{ w: number }>) => row.w });
    const sum = stage({ from: { a, b }, execution: "local", task: ({ a, b }) => a + b });
    const summary = await runPipeline(env.project, definePipeline({ name: "j", stages: { a, b, sum } }), { registry });
    expect(summary.stages.sum!.counts).toMatchObject({ computed: 2, unmatched: 4 });
    const rows = await (await env.project.getExperiment("j-sum")).load();
    expect(Object.fromEntries(rows.map((r) => [r._row_id, r.output]))).toEqual({ r1: 11, r2: 22 });
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
    const failedRow = await (await env.project.getExperiment("f-up")).get("r2");
    expect(failedRow.status).toBe("error");
    expect((failedRow.error as { message: string }).message).toContain("model unavailable");

    broken = false;
    const second = await runPipeline(env.project, pipeline, { registry });
    expect(second.status).toBe("completed");
    expect(second.stages.up!.counts).toMatchObject({ computed: 1, cached: 5 });
    expect(second.stages.last!.counts).toMatchObject({ computed: 1, cached: 5 });
    expect((await (await env.project.getExperiment("f-last")).get("r2")).output).toBe(30);
  });

  test("an output that is not JSON is an error row of that row", async () => {
    const up = stage({ dataset: "qa", execution: "local", task: (row: StoredRow<QaRow>) => (row.n === 1 ? { bad: () => 1 } : { ok: true }) });
    const summary = await runPipeline(env.project, definePipeline({ name: "j2", stages: { up } }), { registry });
    expect(summary.stages.up!.counts).toMatchObject({ computed: 5, failed: 1 });
    expect(((await (await env.project.getExperiment("j2-up")).get("r1")).error as { code: string }).code).toBe("ERR_THEMIS_INVALID_ROW");
  });
});
