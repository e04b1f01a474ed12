import { randomUUID } from "node:crypto";
import { mkdtempSync, realpathSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import type { StorageBackend } from "../dist/index.js";
import { wrappedStorage } from "./wrapped-storage.js";
import { RUNS_TABLE } from "../dist/experiment/run-record.js";
import { Project, type RunEvent, defineExecutionBackend, getRun, listRuns, moduleCodeHash, requestCancel, resolveModuleFile, runState } from "../dist/index.js";

function taskFile(source: string): string {
  const dir = realpathSync(mkdtempSync(path.join(tmpdir(), "themis-task-")));
  const file = path.join(dir, "task.mjs");
  writeFileSync(file, source);
  return file;
}

/** A memory backend that stops answering (every table call hangs) once `hang.now` is set: a dead server. */
function hangingStorage(hang: { now: boolean }): StorageBackend {
  const gate = <T>(call: () => Promise<T>): Promise<T> => (hang.now ? new Promise<T>(() => undefined) : call());
  return wrappedStorage("hanging", (_, t) => ({
    load: () => gate(() => t.load()),
    entries: () => t.entries(),
    get: (id) => gate(() => t.get(id)),
    append: (rows) => gate(() => t.append(rows)),
    update: (row) => gate(() => t.update(row)),
    delete: (id) => gate(() => t.delete(id)),
  }));
}

describe("runs: liveness, claims, honest resume, fail fast, cancel, metrics", () => {
  let project: Project;
  beforeEach(async () => {
    project = await Project.create(`p${randomUUID().slice(0, 8)}`, "memory", { namespace: `runs-${randomUUID()}` });
    await (await project.createDataset("qa")).appendMany(Array.from({ length: 12 }, (_, i) => ({ n: i })));
  });
  afterEach(() => project.close());

  it("runState: running while the heartbeat is fresh, stale after a few intervals, stored status otherwise", () => {
    const at = (ms: number) => new Date(ms).toISOString();
    const base = { status: "running" as const, started_at: at(0), heartbeat_ms: 1000 };
    expect(runState({ ...base, heartbeat_at: at(10_000) }, 12_000)).toBe("running");
    expect(runState({ ...base, heartbeat_at: at(10_000) }, 20_000)).toBe("stale");
    expect(runState({ ...base, status: "completed", heartbeat_at: at(0) }, 1e12)).toBe("completed");
  });

  it("records heartbeat, host, pid and a completed run's counts", async () => {
    const summary = await project.runExperiment({ dataset: "qa", experiment: "e", task: async (row: { n: number }) => row.n });
    const run = await getRun(project, summary.runId);
    expect(run).toMatchObject({ status: "completed", pid: process.pid, reason: null, counts: { total: 12, succeeded: 12 } });
    expect(typeof run.host).toBe("string");
    expect(Date.parse(run.heartbeat_at)).toBeGreaterThanOrEqual(Date.parse(run.started_at));
    expect(runState(run)).toBe("completed");
  });

  it("cancel from outside: requestCancel stops the run at its next heartbeat, with the reason", async () => {
    const started: number[] = [];
    const task = async (row: { n: number }, { signal }: { signal: AbortSignal }) => {
      started.push(row.n);
      if (row.n >= 2) await delay(60_000, undefined, { signal });
      return row.n;
    };
    const running = project.runExperiment({ dataset: "qa", experiment: "c", task, concurrency: 1, heartbeatMs: 50 });
    while (started.length < 3) await delay(10);
    const [run] = await listRuns(project, "c");
    expect(runState(run!)).toBe("running");
    await requestCancel(project, run!.run_id, "stop please");
    const summary = await running;
    expect(summary).toMatchObject({ status: "cancelled", succeeded: 2, reason: "stop please" });
    expect(await getRun(project, run!.run_id)).toMatchObject({ status: "cancelled", reason: "stop please" });
    await expect(requestCancel(project, "no-such-run")).rejects.toMatchObject({ code: "ERR_THEMIS_NOT_FOUND" });
  });

  it("honest resume: editing a module task's file recomputes and says so; a pinned taskVersion keeps results", async () => {
    const file = taskFile("export const f = (row) => row.n;\n");
    const task = { kind: "module" as const, module: file, export: "f" };
    expect(resolveModuleFile(file)).toBe(file);
    const first = await project.runExperiment({ dataset: "qa", experiment: "code", task, resume: true });
    expect(first.succeeded).toBe(12);
    const same = await project.runExperiment({ dataset: "qa", experiment: "code", task, resume: true });
    expect(same).toMatchObject({ succeeded: 0, skipped: 12 });
    const before = moduleCodeHash(file);
    writeFileSync(file, "export const f = (row) => row.n * 10;\n");
    expect(moduleCodeHash(file)).not.toBe(before);
    const events: RunEvent[] = [];
    const edited = await project.runExperiment({ dataset: "qa", experiment: "code", task, resume: true, onEvent: (e) => events.push(e) });
    expect(edited).toMatchObject({ succeeded: 12, skipped: 0 });
    expect(events).toContainEqual(expect.objectContaining({ type: "code-changed", previousCodeHash: before, codeHash: moduleCodeHash(file) }));
    await project.runExperiment({ dataset: "qa", experiment: "pinned", task, taskVersion: "v1", resume: true });
    writeFileSync(file, "export const f = (row) => row.n * 100;\n");
    const pinned = await project.runExperiment({ dataset: "qa", experiment: "pinned", task, taskVersion: "v1", resume: true });
    expect(pinned).toMatchObject({ succeeded: 0, skipped: 12 });
  });

  it("fail fast: a missing module or export, or the same error on the first rows, stops the run with one clear error", async () => {
    await expect(project.runExperiment({ dataset: "qa", experiment: "nomod", task: { kind: "module", module: "/no/such/task.mjs" } })).rejects.toMatchObject({
      code: "ERR_THEMIS_NOT_FOUND",
    });
    expect(await project.listExperiments()).toEqual([]);
    const file = taskFile("export const f = (row) => row.n;\n");
    await expect(
      project.runExperiment({ dataset: "qa", experiment: "noexport", task: { kind: "module", module: file, export: "g" }, concurrency: 1 }),
    ).rejects.toMatchObject({
      code: "ERR_THEMIS_JOB_FAILED",
    });
    expect((await (await project.getExperiment("noexport")).load()).length).toBe(1);
    const ds = await project.getDataset("qa");
    await ds.appendMany(Array.from({ length: 200 }, (_, i) => ({ n: 100 + i })));
    const broken = async () => {
      throw Object.assign(new Error("API key missing"), { code: "E_NO_KEY" });
    };
    await expect(project.runExperiment({ dataset: "qa", experiment: "broken", task: broken, concurrency: 2 })).rejects.toMatchObject({
      code: "ERR_THEMIS_JOB_FAILED",
    });
    const written = (await (await project.getExperiment("broken")).load()).length;
    expect(written).toBeGreaterThanOrEqual(5);
    expect(written).toBeLessThanOrEqual(7);
    const [run] = await listRuns(project, "broken");
    expect(run).toMatchObject({ status: "failed" });
    expect(run!.reason).toMatch(/first 5 rows failed with E_NO_KEY/);
    const off = await project.runExperiment({ dataset: "qa", experiment: "off", task: broken, failFast: 0 });
    expect(off.failed).toBe(212);
  });

  it("metrics: scores go to a result column and the run keeps a summary per metric", async () => {
    const task = async (row: { n: number }) => ({ output: row.n, scores: { exact: row.n % 4 === 0, latency_ms: row.n * 10 } });
    const summary = await project.runExperiment({ dataset: "qa", experiment: "m", task });
    const rows = await (await project.getExperiment("m")).load();
    const zero = rows.find((r) => (r.input as { n: number }).n === 0)!;
    expect(zero).toMatchObject({ output: 0, scores: { exact: true, latency_ms: 0 } });
    const run = await getRun(project, summary.runId);
    expect(run.metrics.exact).toMatchObject({ kind: "boolean", count: 12, mean: 0.25 });
    expect(run.metrics.latency_ms).toMatchObject({ kind: "number", count: 12, mean: 55, p50: 55 });
    expect(run.metrics.latency_ms!.p95).toBeCloseTo(104.5);
    expect(run.error_rate).toBe(0);
  });

  it("provenance: git, host, versions and the executor's config with secrets redacted (canary)", async () => {
    const canary = `CANARY-${randomUUID()}`;
    const executor = defineExecutionBackend({
      name: "acme/secret-runner",
      configSchema: z.object({ token: z.string().meta({ secret: true }), region: z.string() }),
      create: () => ({
        name: "acme/secret-runner",
        kinds: ["function"],
        // biome-ignore lint/suspicious/noExplicitAny: the smallest executor that runs a function job
        run: async (job: any) => ({ ok: true, value: await job.fn(job.input, {}) }),
        close: async () => undefined,
      }),
    });
    const summary = await project.runExperiment({
      dataset: "qa",
      experiment: "prov",
      task: async () => 1,
      execution: executor,
      executionConfig: { token: canary, region: "eu" },
    });
    const run = await getRun(project, summary.runId);
    expect(run.provenance).toMatchObject({ host: run.host, executorConfig: { token: "[redacted]", region: "eu" } });
    expect(run.provenance.gitDirty === null || typeof run.provenance.gitDirty === "boolean").toBe(true);
    expect(run.code_hash).toMatch(/^[0-9a-f]{64}$/);
    const everything = JSON.stringify(await (await project.internalTable("experiment", RUNS_TABLE)).load());
    expect(everything).not.toContain(canary);
  });

  it("storage that stops answering: said within seconds (storage-error), then the run fails with UNAVAILABLE after the deadline", async () => {
    const hang = { now: false };
    const dead = await Project.create("dead", hangingStorage(hang));
    await (await dead.createDataset("qa")).appendMany(Array.from({ length: 50 }, (_, n) => ({ n })));
    const events: RunEvent[] = [];
    const task = async (row: { n: number }) => {
      if (row.n === 5) hang.now = true;
      await delay(5);
      return row.n;
    };
    // Heartbeats far apart: the hanging result write alone must be noticed.
    await expect(
      dead.runExperiment({
        dataset: "qa",
        experiment: "e",
        task,
        concurrency: 1,
        heartbeatMs: 60_000,
        storageDeadlineMs: 4000,
        onEvent: (e) => events.push(e),
      }),
    ).rejects.toMatchObject({
      code: "ERR_THEMIS_UNAVAILABLE",
    });
    expect(events).toContainEqual(expect.objectContaining({ type: "storage-error", message: expect.stringMatching(/storage has not answered for \d+ s/) }));
  }, 60_000);
});
