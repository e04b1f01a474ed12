// The worker process: SIGTERM lets running jobs finish and exits 0; --max-jobs stops
// after that many jobs; a second signal hands running jobs back (redelivered elsewhere).
import { once } from "node:events";
import { type MapOutcome, type Task, map } from "@themis/core";
import { afterAll, describe, expect, it } from "vitest";
import { collect, waitFor } from "./support/collect.ts";
import { createExecutor, redisAvailable, testConfig } from "./support/env.ts";
import { writeFixture } from "./support/fixture.ts";
import { WorkerProcess, stopWorkers } from "./support/workers.ts";

describe.skipIf(!redisAvailable)("bullmq: worker lifecycle", () => {
  const fixture = writeFixture();
  const task: Task = { kind: "module", module: fixture.file, export: "work" };
  const all: WorkerProcess[] = [];
  const spawnWorker = (...args: ConstructorParameters<typeof WorkerProcess>): WorkerProcess => {
    const w = new WorkerProcess(...args);
    all.push(w);
    return w;
  };
  afterAll(async () => {
    await stopWorkers(all);
    fixture.remove();
  });

  it("SIGTERM: the running job finishes, nothing new is taken, the process exits 0", async () => {
    const config = testConfig("sigterm");
    const executor = await createExecutor(config);
    const worker = spawnWorker(config, { concurrency: 1 });
    await worker.ready();
    try {
      const outcomes = collect(map(task, [{ n: 1, delayMs: 1500 }, { n: 2 }], { executor, concurrency: 2 }));
      await worker.next((e) => e.type === "job-started");
      const code = await worker.stop("SIGTERM");
      expect(code).toBe(0);
      const types = worker.events.map((e) => e.type);
      expect(types.filter((t) => t === "job-finished")).toHaveLength(1);
      // Stopping began while the job ran; the job finished before the worker stopped.
      expect(types.indexOf("stopping")).toBeLessThan(types.indexOf("job-finished"));
      expect(types.at(-1)).toBe("stopped");
      // The second job waits for another worker, which then runs it.
      const next = spawnWorker(config, { concurrency: 1 });
      const out: MapOutcome[] = await outcomes;
      expect(out.map((o) => o.ok && o.value)).toEqual([{ n: 2 }, { n: 4 }]);
      expect(next.events.filter((e) => e.type === "job-finished")).toHaveLength(1);
    } finally {
      await executor.close();
    }
  });

  it("maxJobs: the worker stops after that many jobs and exits 0", async () => {
    const config = testConfig("max-jobs");
    const executor = await createExecutor(config);
    const worker = spawnWorker(config, { concurrency: 2, maxJobs: 3 });
    await worker.ready();
    try {
      const outcomes = collect(
        map(
          task,
          [1, 2, 3, 4, 5].map((n) => ({ n })),
          { executor, concurrency: 5 },
        ),
      );
      await waitFor(() => worker.exited);
      expect(worker.child.exitCode).toBe(0);
      expect(worker.events.filter((e) => e.type === "job-finished")).toHaveLength(3);
      spawnWorker(config, { concurrency: 2 });
      const out = await outcomes;
      expect(out.every((o) => o.ok)).toBe(true);
    } finally {
      await executor.close();
    }
  });

  it("a second SIGTERM hands the running job back at once; another worker runs it, the process exits 0", async () => {
    const config = testConfig("hand-back");
    const executor = await createExecutor(config);
    const worker = spawnWorker(config, { concurrency: 1 });
    await worker.ready();
    try {
      const outcomes = collect(map(task, [{ n: 5, delayMs: 3000 }], { executor }));
      await worker.next((e) => e.type === "job-started");
      const exit = once(worker.child, "exit");
      worker.child.kill("SIGTERM");
      await worker.next((e) => e.type === "stopping");
      worker.child.kill("SIGTERM");
      const [code] = await exit;
      expect(code).toBe(0);
      expect(worker.events.some((e) => e.type === "job-handed-back")).toBe(true);
      expect(worker.events.some((e) => e.type === "job-finished")).toBe(false);
      const next = spawnWorker(config, { concurrency: 1 });
      const [o] = await outcomes;
      expect(o!.ok && o!.value).toEqual({ n: 10 });
      expect(next.events.filter((e) => e.type === "job-finished")).toHaveLength(1);
    } finally {
      await executor.close();
    }
  });
});
