// kill -9 of a worker mid-job: BullMQ's stalled-job handling redelivers the job to the
// other worker and the map still yields exactly one result per item.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { randomUUID } from "node:crypto";
import { type MapOutcome, Project, type Task, map } from "@themis/core";
import { afterAll, describe, expect, it } from "vitest";
import { collect, waitFor } from "./support/collect.ts";
import { createExecutor, redisAvailable, testConfig } from "./support/env.ts";
import { writeFixture } from "./support/fixture.ts";
import { type WorkerProcess, startWorkers, stopWorkers } from "./support/workers.ts";

describe.skipIf(!redisAvailable)("bullmq: a worker killed mid-job", () => {
  const fixture = writeFixture();
  let workers: WorkerProcess[] = [];
  afterAll(async () => {
    await stopWorkers(workers);
    fixture.remove();
  });

  it("redelivers its job to another worker; every item gets exactly one outcome, all ok", async () => {
    const config = testConfig("crash");
    const executor = await createExecutor(config);
    workers = await startWorkers(config, 2, { concurrency: 1 });
    const log = path.join(fixture.dir, "runs.log");
    const task: Task = { kind: "module", module: fixture.file, export: "work" };
    // Item 0 runs long enough to be caught mid-job; the rest are short.
    const items = Array.from({ length: 8 }, (_, n) => ({ n, log, delayMs: n === 0 ? 6000 : 50 }));
    try {
      const running = collect(map(task, items, { executor, concurrency: 4 }));
      // The worker that started item 0 is killed while the module runs it (it logged its start).
      const started = (w: WorkerProcess) => w.events.some((e) => e.type === "job-started" && e.label === "item 0");
      const ran = () => existsSync(log) && readFileSync(log, "utf8").split("\n").includes("0");
      await waitFor(() => workers.some(started) && ran());
      const victim = workers.find(started)!;
      const survivor = workers.find((w) => w !== victim)!;
      victim.child.kill("SIGKILL");
      const out: MapOutcome[] = await running;
      expect(out.map((o) => o.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
      for (const o of out) expect(o.ok && o.value, JSON.stringify(o)).toEqual({ n: o.index * 2 });
      // Item 0 started twice (once on each worker), finished once.
      expect(survivor.events.some((e) => e.type === "job-finished" && e.label === "item 0" && e.ok)).toBe(true);
      const runs = readFileSync(log, "utf8").trim().split("\n").map(Number);
      expect(runs.filter((n) => n === 0)).toHaveLength(2);
      expect(new Set(runs).size).toBe(8);
    } finally {
      await executor.close();
    }
  });

  it("runExperiment: a worker killed mid-row still ends with exactly one ok result row per dataset row", async () => {
    const config = testConfig("crash-experiment");
    const executor = await createExecutor(config);
    await stopWorkers(workers);
    workers = await startWorkers(config, 2, { concurrency: 1 });
    const project = await Project.create(`p${randomUUID().slice(0, 8)}`, "memory", { namespace: `bullmq-${randomUUID()}` });
    const log = path.join(fixture.dir, "experiment.log");
    try {
      const qa = await project.createDataset("qa");
      await qa.appendMany(Array.from({ length: 6 }, (_, n) => ({ n, log, delayMs: n === 0 ? 6000 : 50 })));
      const running = project.runExperiment({
        dataset: "qa",
        experiment: "e",
        task: { kind: "module", module: fixture.file, export: "work" },
        execution: executor,
        concurrency: 3,
      });
      const ran = () => existsSync(log) && readFileSync(log, "utf8").split("\n").includes("0");
      const holding = (w: WorkerProcess) => w.events.some((e) => e.type === "job-started" && e.label.startsWith("item 0 (row "));
      await waitFor(() => ran() && workers.some(holding));
      workers.find(holding)!.child.kill("SIGKILL");
      const summary = await running;
      expect(summary).toMatchObject({ status: "completed", total: 6, succeeded: 6, failed: 0 });
      const rows = await (await project.getExperiment("e")).load();
      const dataset = await qa.load();
      expect(rows.map((r) => r.dataset_row_id).sort()).toEqual(dataset.map((r) => r._row_id).sort());
      for (const r of rows) expect(r.output).toEqual({ n: (r.input as { n: number }).n * 2 });
    } finally {
      await project.close();
      await executor.close();
    }
  });
});
