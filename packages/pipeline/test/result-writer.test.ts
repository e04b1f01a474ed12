// The result writer after a write error: later rows must not restart a drain that ends at
// once (it left a settled promise behind and flush awaited it forever: the pipeline hung).
import { memoryBackend, Project } from "@themis/core";
import { describe, expect, it } from "vitest";
import type { StoredResult } from "../src/cache.js";
import { ResultWriter } from "../src/result-writer.js";
import { appendOwned } from "@themis/core/backend";

const result = (n: number): StoredResult =>
  ({
    _row_id: `r${n}`,
    dataset_row_id: `d${n}`,
    status: "ok",
    output: n,
    error: null,
    cache_key: `k${n}`,
    task_key: "c:p",
    run_id: "run.stage",
  }) as StoredResult;

describe("ResultWriter after a write error", () => {
  it("reports the error once and flush rejects with it, also for rows added after the error", async () => {
    const project = await Project.create("w", memoryBackend);
    const table = await project.createExperiment<StoredResult>("stage");
    await project.deleteExperiment("stage");
    const errors: unknown[] = [];
    const writer = new ResultWriter(table, (e) => errors.push(e));
    writer.add(result(1), false);
    await expect(writer.flush()).rejects.toMatchObject({ code: "ERR_THEMIS_NOT_FOUND" });
    writer.add(result(2), false);
    writer.add(result(3), false);
    await expect(writer.flush()).rejects.toMatchObject({ code: "ERR_THEMIS_NOT_FOUND" });
    expect(errors).toHaveLength(1);
    await project.close();
  });

  it("writes every row added while a batch is being stored", async () => {
    const project = await Project.create("w2", memoryBackend);
    const table = await project.createExperiment<StoredResult>("stage");
    const writer = new ResultWriter(table, (e) => {
      throw e;
    });
    for (let n = 0; n < 50; n++) writer.add(result(n), false);
    await writer.flush();
    writer.add(result(50), false);
    await writer.flush();
    expect((await table.load()).map((r) => r._row_id)).toEqual(Array.from({ length: 51 }, (_, n) => `r${n}`));
    await project.close();
  });
});

describe("ResultWriter backpressure", () => {
  it("room(limit) waits while `limit` rows or more wait for a write that is under way, and resolves once a write takes them", async () => {
    const project = await Project.create("w3", memoryBackend);
    const table = await project.createExperiment<StoredResult>("stage");
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let writing: () => void = () => undefined;
    const started = new Promise<void>((resolve) => (writing = resolve));
    // The storage is slow: the first write waits for the gate.
    const slow = Object.create(table) as typeof table;
    slow[appendOwned] = async (rows) => {
      writing();
      await gate;
      return table[appendOwned](rows);
    };
    const writer = new ResultWriter(slow, (e) => {
      throw e;
    });
    writer.add(result(0), false);
    await started;
    for (let n = 1; n <= 10; n++) writer.add(result(n), false);
    expect(writer.backlog).toBe(10);
    let roomed = false;
    const room = writer.room(5).then(() => (roomed = true));
    await writer.room(11); // under the limit: at once
    await new Promise((r) => setTimeout(r, 20));
    expect(roomed).toBe(false);
    release();
    await room;
    expect(writer.backlog).toBe(0);
    await writer.flush();
    expect((await table.load()).length).toBe(11);
    await project.close();
  });
});

describe("ResultWriter batches", () => {
  it("rows added one by one in a burst are written in one append, not one each", async () => {
    const project = await Project.create("w4", memoryBackend);
    const table = await project.createExperiment<StoredResult>("stage");
    const batches: number[] = [];
    const counted = Object.create(table) as typeof table;
    counted[appendOwned] = async (rows) => {
      batches.push(rows.length);
      return table[appendOwned](rows);
    };
    const writer = new ResultWriter(counted, (e) => {
      throw e;
    });
    // As a stage's results arrive: one at a time, a microtask apart.
    for (let n = 0; n < 100; n++) {
      writer.add(result(n), false);
      await Promise.resolve();
    }
    await writer.flush();
    expect(batches).toEqual([100]);
    expect((await table.load()).length).toBe(100);
    await project.close();
  });
});
