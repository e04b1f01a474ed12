// Jobs the backend refuses, and where: function jobs and oversized inputs on the submitter
// (nothing queued), oversized outputs on the worker.
import { type Task, map } from "@themis/core";
import { Queue } from "bullmq";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BullmqExecutor } from "../src/index.ts";
import { collect } from "./support/collect.ts";
import { createExecutor, redisAvailable, redisUrl, testConfig } from "./support/env.ts";
import { writeFixture } from "./support/fixture.ts";
import { type WorkerProcess, startWorkers, stopWorkers } from "./support/workers.ts";

describe.skipIf(!redisAvailable)("bullmq: refused jobs", () => {
  const fixture = writeFixture();
  const config = testConfig("refusals", { maxPayloadBytes: 4096 });
  const task: Task = { kind: "module", module: fixture.file, export: "work" };
  let executor: BullmqExecutor;
  let workers: WorkerProcess[] = [];
  let queue: Queue;

  beforeAll(async () => {
    executor = await createExecutor(config);
    queue = new Queue(config.queue!, { connection: { url: redisUrl } });
  });
  afterAll(async () => {
    await executor?.close();
    await queue?.close();
    await stopWorkers(workers);
    fixture.remove();
  });

  const jobsQueued = async (): Promise<number> => {
    const counts = await queue.getJobCounts("waiting", "active", "completed", "failed", "delayed", "prioritized");
    return Object.values(counts).reduce((a, b) => a + b, 0);
  };

  it("refuses a function job before anything is queued, saying why and what to use instead", async () => {
    let read = 0;
    function* items() {
      for (;;) yield ++read;
    }
    const error = await (async () => collect(map((n: number) => n * 2, items(), { executor })))().then(
      () => undefined,
      (e: unknown) => e as { code?: string; message: string },
    );
    expect(error?.code).toBe("ERR_THEMIS_UNSUPPORTED");
    expect(error?.message).toMatch(/module task/);
    expect(read).toBe(0);
    // run() refuses too, for callers that bypass map.
    const direct = await executor.run({ kind: "function", fn: () => 1, input: null }, { signal: new AbortController().signal, attempt: 1, index: 0 }).then(
      () => undefined,
      (e: { code?: string; message: string }) => e,
    );
    expect(direct?.code).toBe("ERR_THEMIS_UNSUPPORTED");
    expect(direct?.message).toMatch(/cannot cross to a worker on another machine/);
    expect(await jobsQueued()).toBe(0);
  });

  it("fails an oversized input on the submitter, naming the row; nothing is queued for it", async () => {
    const out = await collect(map(task, [{ _row_id: "r-big", n: 2, pad: "y".repeat(8192) }], { executor }));
    expect(out).toHaveLength(1);
    expect(out[0]!.ok).toBe(false);
    if (!out[0]!.ok) {
      expect(out[0]!.error.code).toBe("ERR_THEMIS_TOO_LARGE");
      expect(out[0]!.error.message).toContain("item 0 (row r-big)");
      expect(out[0]!.error.message).toContain("maxPayloadBytes");
      expect(out[0]!.error.retryable).toBe(false);
    }
    expect(await jobsQueued()).toBe(0);
  });

  it("fails an oversized output on the worker, naming the row; the other rows succeed", async () => {
    workers = await startWorkers(config, 2, { concurrency: 2 });
    const big: Task = { kind: "module", module: fixture.file, export: "big" };
    const out = await collect(map(big, [{ bytes: 10 }, { _row_id: "r-out", bytes: 8192 }, { bytes: 20 }], { executor }));
    expect(out.map((o) => o.ok)).toEqual([true, false, true]);
    if (!out[1]!.ok) {
      expect(out[1]!.error.code).toBe("ERR_THEMIS_TOO_LARGE");
      expect(out[1]!.error.message).toContain("output of item 1 (row r-out)");
    }
    expect(out[0]!.ok && out[0]!.value).toBe("x".repeat(10));
  });
});
