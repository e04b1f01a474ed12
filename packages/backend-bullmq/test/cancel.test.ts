// Cancelling a map and timing jobs out reach the jobs on every worker process: their
// commands are killed there, and each worker logs why.
import { type MapOutcome, type Task, map } from "@themis/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BullmqExecutor } from "../src/index.ts";
import { collect, waitFor } from "./support/collect.ts";
import { createExecutor, redisAvailable, testConfig } from "./support/env.ts";
import { type WorkerProcess, startWorkers, stopWorkers } from "./support/workers.ts";

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe.skipIf(!redisAvailable)("bullmq: cancellation and timeouts across processes", () => {
  const config = testConfig("cancel");
  let executor: BullmqExecutor;
  let workers: WorkerProcess[] = [];
  beforeAll(async () => {
    executor = await createExecutor(config);
    workers = await startWorkers(config, 2, { concurrency: 2 });
  });
  afterAll(async () => {
    await executor?.close();
    await stopWorkers(workers);
  });

  // Prints its pid, then sleeps: the pid shows whether the worker really killed it.
  const sleeper: Task = { kind: "command", command: () => ({ argv: ["sh", "-c", "echo $$; exec sleep 120"] }) };
  const startedJobs = () => workers.flatMap((w) => w.events.filter((e) => e.type === "job-started"));

  it("an aborted map stops the running jobs on every worker", async () => {
    const controller = new AbortController();
    const outcomes = collect(map(sleeper, [1, 2, 3, 4], { executor, concurrency: 4, signal: controller.signal }));
    // Both workers hold two jobs each before the abort.
    await waitFor(() => workers.every((w) => w.events.filter((e) => e.type === "job-started").length === 2));
    controller.abort(new Error("user cancelled"));
    const out: MapOutcome[] = await outcomes;
    expect(out).toHaveLength(4);
    for (const o of out) {
      expect(o.ok).toBe(false);
      if (!o.ok) expect(o.error.code).toBe("ERR_THEMIS_ABORTED");
      const pid = Number(o.stdout?.text.trim());
      expect(pid).toBeGreaterThan(0);
      expect(isAlive(pid), `pid ${pid} survived`).toBe(false);
    }
    for (const w of workers) expect(w.events.filter((e) => e.type === "job-cancelled" && e.reason === "aborted")).toHaveLength(2);
  });

  it("map's timeout stops the job on its worker, which logs it as a timeout", async () => {
    const before = startedJobs().length;
    const [o] = await collect(map(sleeper, [1], { executor, timeout: 2500 }));
    expect(startedJobs().length).toBe(before + 1);
    expect(o!.ok).toBe(false);
    if (!o!.ok) expect(o!.error.code).toBe("ERR_THEMIS_TIMEOUT");
    const pid = Number(o!.stdout?.text.trim());
    expect(isAlive(pid), `pid ${pid} survived`).toBe(false);
    expect(workers.flatMap((w) => w.events).some((e) => e.type === "job-cancelled" && e.reason === "timeout")).toBe(true);
  });

  it("the config's timeout is enforced by the worker itself (a backstop without a submitter timeout)", async () => {
    const own = await createExecutor({ ...config, timeout: 1500 });
    try {
      const [o] = await collect(map(sleeper, [1], { executor: own }));
      expect(o!.ok).toBe(false);
      if (!o!.ok) expect(o!.error.code).toBe("ERR_THEMIS_TIMEOUT");
      expect(isAlive(Number(o!.stdout?.text.trim()))).toBe(false);
    } finally {
      await own.close();
    }
  });
});
