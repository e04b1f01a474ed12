// Deterministic job ids: a submitter restarted with the same runKey reattaches to the jobs
// its predecessor queued (and to results already done) instead of running them again.
import { readFileSync } from "node:fs";
import path from "node:path";
import { type Task, map } from "@themis/core";
import { afterAll, describe, expect, it } from "vitest";
import { collect, waitFor } from "./support/collect.ts";
import { createExecutor, redisAvailable, testConfig } from "./support/env.ts";
import { writeFixture } from "./support/fixture.ts";
import { type WorkerProcess, startWorkers, stopWorkers } from "./support/workers.ts";

describe.skipIf(!redisAvailable)("bullmq: a restarted submitter reattaches (runKey)", () => {
  const fixture = writeFixture();
  let workers: WorkerProcess[] = [];
  afterAll(async () => {
    await stopWorkers(workers);
    fixture.remove();
  });

  it("the same runKey finds the queued jobs and the finished results: each item runs once", async () => {
    const config = testConfig("reattach", { runKey: "experiment-7.run-1" });
    const log = path.join(fixture.dir, "runs.log");
    const task: Task = { kind: "module", module: fixture.file, export: "work" };
    const items = Array.from({ length: 6 }, (_, n) => ({ n, log }));

    // Submitter 1 queues every item while no worker exists (and stays silent, as one that
    // died would: close() would cancel its jobs, a crash does not; submitters.test.ts kills one).
    const first = await createExecutor(config);
    const firstOutcomes = collect(map(task, items, { executor: first, concurrency: 6 }));
    await waitFor(async () => (await first.queueCounts()).waiting === 6);

    // Submitter 2, same key: reattaches to the 6 queued jobs (nothing new is queued).
    workers = await startWorkers(config, 2, { concurrency: 2 });
    const second = await createExecutor(config);
    try {
      const out = await collect(map(task, items, { executor: second, concurrency: 6 }));
      expect(out.map((o) => o.ok && o.value)).toEqual(items.map((i) => ({ n: i.n * 2 })));
      expect((await second.queueCounts()).completed).toBe(6);
      // Submitter 3, same key again: the results are still kept, so nothing runs again.
      const again = await collect(map(task, items, { executor: second, concurrency: 6 }));
      expect(again.map((o) => o.ok && o.value)).toEqual(items.map((i) => ({ n: i.n * 2 })));
      // The first submitter sees the same results: its jobs were the very same jobs.
      expect((await firstOutcomes).map((o) => o.ok && o.value)).toEqual(items.map((i) => ({ n: i.n * 2 })));
    } finally {
      await second.close();
      await first.close();
    }
    const runs = readFileSync(log, "utf8")
      .trim()
      .split("\n")
      .map(Number)
      .sort((a, b) => a - b);
    expect(runs).toEqual([0, 1, 2, 3, 4, 5]);
  });
});
