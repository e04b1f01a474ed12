// What reaches Redis: an infinite input keeps at most `concurrency` jobs queued, and
// cancelling removes the jobs no worker has taken yet. Worker-side retries (attempts).
import path from "node:path";
import { type MapOutcome, type Task, map } from "@themis/core";
import { afterAll, describe, expect, it } from "vitest";
import { collect, waitFor } from "./support/collect.ts";
import { createExecutor, redisAvailable, testConfig } from "./support/env.ts";
import { writeFixture } from "./support/fixture.ts";
import { type WorkerProcess, startWorkers, stopWorkers } from "./support/workers.ts";

describe.skipIf(!redisAvailable)("bullmq: jobs in Redis", () => {
  const fixture = writeFixture();
  let workers: WorkerProcess[] = [];
  afterAll(async () => {
    await stopWorkers(workers);
    fixture.remove();
  });

  it("an infinite input queues at most `concurrency` jobs; cancelling removes them from the queue", async () => {
    const config = testConfig("bounds");
    const executor = await createExecutor(config);
    try {
      let read = 0;
      function* infinite() {
        for (;;) yield { n: read++ };
      }
      const controller = new AbortController();
      const task: Task = { kind: "module", module: fixture.file, export: "work" };
      // No worker: every job stays waiting.
      const outcomes = collect(map(task, infinite(), { executor, concurrency: 5, signal: controller.signal }));
      await waitFor(async () => (await executor.queueCounts()).waiting === 5);
      expect(read).toBe(5);
      controller.abort();
      const out: MapOutcome[] = await outcomes;
      expect(out).toHaveLength(5);
      for (const o of out) expect(!o.ok && o.error.code).toBe("ERR_THEMIS_ABORTED");
      expect((await executor.queueCounts()).waiting).toBe(0);
      expect(read).toBe(5);
    } finally {
      await executor.close();
    }
  });

  it("attempts > 1: the worker retries an error marked retryable itself, with backoff", async () => {
    const config = testConfig("attempts", { attempts: 3, backoff: { type: "fixed", delay: 50 } });
    workers = await startWorkers(config, 2, { concurrency: 1 });
    const executor = await createExecutor(config);
    try {
      const task: Task = { kind: "module", module: fixture.file, export: "flaky" };
      const [ok] = await collect(map(task, [{ counter: path.join(fixture.dir, "a"), failures: 2 }], { executor }));
      // Third call succeeded, inside one map attempt.
      expect(ok!.ok && ok!.value).toBe(3);
      expect(ok!.attempts).toBe(1);
      const [failed] = await collect(map(task, [{ counter: path.join(fixture.dir, "b"), failures: 5 }], { executor }));
      expect(failed!.ok).toBe(false);
      if (!failed!.ok) {
        expect(failed!.error.code).toBe("E_TRANSIENT");
        expect(failed!.error.message).toBe("transient 3");
      }
    } finally {
      await executor.close();
    }
  });
});
