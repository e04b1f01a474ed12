import { randomUUID } from "node:crypto";
import { fileURLToPath } from "node:url";
import { setTimeout as delay } from "node:timers/promises";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type ExecutionBackend, type ExperimentProgress, Project, type StorageBackend, type StoredRow, UnavailableError, listRuns } from "../dist/index.js";
import { RUNS_TABLE } from "../dist/experiment/run-record.js";
import { canonicalJson, resumeKey } from "../dist/experiment/resume-key.js";
import { wrappedStorage } from "./wrapped-storage.js";

const jobs = fileURLToPath(new URL("./fixtures/exec/jobs.mjs", import.meta.url));

/** A memory backend whose table `failTable` accepts `failAfter` appended rows, then fails (a crash). */
function failingStorage(failTable: string, failAfter: number): StorageBackend {
  let appended = 0;
  return wrappedStorage("failing", (name, table) => ({
    load: () => table.load(),
    entries: () => table.entries(),
    get: (id) => table.get(id),
    update: (row) => table.update(row),
    delete: (id) => table.delete(id),
    async append(rows: readonly StoredRow[]) {
      if (name === failTable) {
        if (appended + rows.length > failAfter) throw new UnavailableError("disk went away", { backend: "failing" });
        appended += rows.length;
      }
      return table.append(rows);
    },
  }));
}

describe("runExperiment", () => {
  let project: Project;
  beforeEach(async () => {
    project = await Project.create(`p${randomUUID().slice(0, 8)}`, "memory", { namespace: `exp-${randomUUID()}` });
    const qa = await project.createDataset("qa");
    await qa.appendMany(Array.from({ length: 12 }, (_, i) => ({ question: `q${i}`, n: i })));
  });
  afterEach(() => project.close());

  const task = async (row: { n: number }) => {
    if (row.n % 5 === 3) throw Object.assign(new Error("no answer"), { code: "E_NO_ANSWER" });
    return { answer: row.n * 2 };
  };

  it("stores one result row per dataset row, failures as error rows, and a completed run record", async () => {
    const summary = await project.runExperiment({ dataset: "qa", experiment: "baseline", task, concurrency: 3, parameters: { model: "m1" } });
    expect(summary).toMatchObject({ status: "completed", total: 12, succeeded: 10, failed: 2, skipped: 0 });
    const rows = await (await project.getExperiment("baseline")).load();
    expect(rows.length).toBe(12);
    const dataset = await (await project.getDataset("qa")).load();
    const byDatasetRow = new Map(rows.map((r) => [r.dataset_row_id, r]));
    for (const input of dataset) {
      const result = byDatasetRow.get(input._row_id)!;
      expect(result.input).toEqual({ question: input.question, n: input.n });
      if ((input.n as number) % 5 === 3) {
        expect(result).toMatchObject({ status: "error", output: null, error: { code: "E_NO_ANSWER", message: "no answer" } });
      } else expect(result).toMatchObject({ status: "ok", output: { answer: (input.n as number) * 2 }, error: null, attempts: 1 });
    }
    const [run] = await listRuns(project, "baseline");
    expect(run).toMatchObject({
      run_id: summary.runId,
      status: "completed",
      dataset: "qa",
      experiment: "baseline",
      parameters: { model: "m1" },
      executor: "local",
      counts: { total: 12, succeeded: 10, failed: 2, skipped: 0 },
    });
    expect(run!.provenance.node).toBe(process.version);
    expect(run!.provenance.platform).toBe(process.platform);
    expect(run!.provenance.packages["@themis/core"]).toMatch(/^\d+\.\d+\.\d+/);
    expect(run!.provenance.gitCommit === null || /^[0-9a-f]{40,64}$/.test(run!.provenance.gitCommit)).toBe(true);
    expect(Date.parse(run!.finished_at!)).toBeGreaterThanOrEqual(Date.parse(run!.started_at));
  });

  it("keeps run records internal: not listed as experiments, not creatable by users", async () => {
    await project.runExperiment({ dataset: "qa", experiment: "e", task });
    expect(await project.listExperiments()).toEqual(["e"]);
    await expect(project.createExperiment(RUNS_TABLE)).rejects.toMatchObject({ code: "ERR_THEMIS_INVALID_NAME" });
  });

  it("resume: a second run does no work; failures are redone and replace their error rows", async () => {
    let calls = 0;
    let fixed = false;
    const counted = async (row: { n: number }) => {
      calls++;
      if (!fixed && row.n % 5 === 3) throw new Error("flaky");
      return { answer: row.n };
    };
    const options = { dataset: "qa", experiment: "resumable", task: counted, taskId: "counted@1", resume: true };
    await project.runExperiment(options);
    expect(calls).toBe(12);
    fixed = true;
    const second = await project.runExperiment(options);
    expect(second).toMatchObject({ succeeded: 2, failed: 0, skipped: 10 });
    expect(calls).toBe(14);
    const rows = await (await project.getExperiment("resumable")).load();
    expect(rows.length).toBe(12);
    expect(rows.every((r) => r.status === "ok")).toBe(true);
    const third = await project.runExperiment(options);
    expect(third).toMatchObject({ succeeded: 0, failed: 0, skipped: 12 });
    expect(calls).toBe(14);
  });

  it("resume is keyed by task identity and parameters, not by the experiment name alone", async () => {
    let calls = 0;
    const t = async (row: { n: number }) => {
      calls++;
      return row.n;
    };
    await project.runExperiment({ dataset: "qa", experiment: "keyed", task: t, taskId: "t@1", parameters: { temperature: 0 }, resume: true });
    await project.runExperiment({ dataset: "qa", experiment: "keyed", task: t, taskId: "t@1", parameters: { temperature: 0 }, resume: true });
    expect(calls).toBe(12);
    await project.runExperiment({ dataset: "qa", experiment: "keyed", task: t, taskId: "t@1", parameters: { temperature: 1 }, resume: true });
    expect(calls).toBe(24);
    await project.runExperiment({ dataset: "qa", experiment: "keyed", task: t, taskId: "t@2", parameters: { temperature: 1 }, resume: true });
    expect(calls).toBe(36);
    expect(resumeKey("a", { x: 1, y: [1, { b: 2, a: 1 }] })).toBe(resumeKey("a", { y: [1, { a: 1, b: 2 }], x: 1 }));
    expect(canonicalJson({ b: 1, a: "1" })).toBe('{"a":"1","b":1}');
  });

  it("rejects a task the executor cannot run before creating or running anything", async () => {
    const moduleOnly: ExecutionBackend = {
      name: "module-only",
      kinds: ["module"],
      run: async <T>() => ({ ok: true, value: null as T }),
      close: async () => undefined,
    };
    await expect(project.runExperiment({ dataset: "qa", experiment: "never", task, execution: moduleOnly })).rejects.toMatchObject({
      code: "ERR_THEMIS_UNSUPPORTED",
    });
    expect(await project.listExperiments()).toEqual([]);
    expect(await listRuns(project)).toEqual([]);
  });

  it("refuses to add to an existing experiment without resume", async () => {
    await project.runExperiment({ dataset: "qa", experiment: "once", task });
    await expect(project.runExperiment({ dataset: "qa", experiment: "once", task })).rejects.toMatchObject({ code: "ERR_THEMIS_ALREADY_EXISTS" });
  });

  it("cancellation: status cancelled, finished rows kept, cancelled rows not stored; resume finishes the rest", async () => {
    const controller = new AbortController();
    let finished = 0;
    const slowAfterFour = async (row: { n: number }, { signal }: { signal: AbortSignal }) => {
      if (row.n >= 4) {
        if (finished >= 4) setTimeout(() => controller.abort(), 10);
        await delay(60_000, undefined, { signal });
      }
      finished++;
      return row.n;
    };
    const summary = await project.runExperiment({
      dataset: "qa",
      experiment: "cancel",
      task: slowAfterFour,
      taskId: "slow",
      concurrency: 1,
      signal: controller.signal,
      resume: true,
    });
    expect(summary.status).toBe("cancelled");
    expect(summary.succeeded).toBe(4);
    const rows = await (await project.getExperiment("cancel")).load();
    expect(rows.length).toBe(4);
    expect(rows.every((r) => r.status === "ok")).toBe(true);
    const [run] = await listRuns(project, "cancel");
    expect(run!.status).toBe("cancelled");
    const rest = await project.runExperiment({ dataset: "qa", experiment: "cancel", task: async (row: { n: number }) => row.n, taskId: "slow", resume: true });
    expect(rest).toMatchObject({ status: "completed", skipped: 4, succeeded: 8 });
  });

  it("a storage failure mid-run: the run is recorded failed, the error is thrown, finished rows stay", async () => {
    const crashing = await Project.create("crash", failingStorage("fragile", 5));
    try {
      const qa = await crashing.createDataset("qa");
      await qa.appendMany(Array.from({ length: 20 }, (_, i) => ({ n: i })));
      // Rows slower than the result writer's linger (10 ms) are written one write each, so
      // some writes get through before the store fails.
      const slow = async (row: { n: number }) => {
        await delay(25);
        return row.n;
      };
      await expect(crashing.runExperiment({ dataset: "qa", experiment: "fragile", task: slow, concurrency: 1 })).rejects.toMatchObject({
        code: "ERR_THEMIS_UNAVAILABLE",
      });
      const rows = await (await crashing.getExperiment("fragile")).load();
      expect(rows.length).toBeGreaterThan(0);
      expect(rows.length).toBeLessThanOrEqual(5);
      const [run] = await listRuns(crashing, "fragile");
      expect(run).toMatchObject({ status: "failed", error: { code: "ERR_THEMIS_UNAVAILABLE" } });
    } finally {
      await crashing.close();
    }
  });

  it("writes results in batches, and counts a row only once its result is stored", async () => {
    const appends: number[] = [];
    const counting = await Project.create(
      "batches",
      wrappedStorage("counting", (name, table) => ({
        load: () => table.load(),
        entries: () => table.entries(),
        get: (id) => table.get(id),
        update: (row) => table.update(row),
        delete: (id) => table.delete(id),
        async append(rows: readonly StoredRow[]) {
          if (name === "many") appends.push(rows.length);
          return table.append(rows);
        },
      })),
    );
    try {
      const qa = await counting.createDataset("qa");
      await qa.appendMany(Array.from({ length: 400 }, (_, i) => ({ n: i })));
      const seen: { done: number; stored: number }[] = [];
      const stored = () => appends.reduce((a, b) => a + b, 0);
      const onProgress = (p: ExperimentProgress) => void seen.push({ done: p.done, stored: stored() });
      const summary = await counting.runExperiment({
        dataset: "qa",
        experiment: "many",
        task: async (row: { n: number }) => row.n,
        concurrency: 16,
        onProgress,
      });
      expect(summary).toMatchObject({ status: "completed", succeeded: 400 });
      expect(stored()).toBe(400);
      // No-op rows finish far faster than the 10 ms a result waits for company.
      expect(appends.length).toBeLessThanOrEqual(100);
      // One report per row, each counting only rows already stored.
      expect(seen.map((p) => p.done)).toEqual(Array.from({ length: 400 }, (_, i) => i + 1));
      expect(seen.filter((p) => p.done > p.stored)).toEqual([]);
    } finally {
      await counting.close();
    }
  });

  it("a row whose result write failed is not counted as done", async () => {
    const crashing = await Project.create("uncounted", failingStorage("lost", 0));
    try {
      const qa = await crashing.createDataset("qa");
      await qa.appendMany(Array.from({ length: 8 }, (_, i) => ({ n: i })));
      const seen: ExperimentProgress[] = [];
      await expect(
        crashing.runExperiment({ dataset: "qa", experiment: "lost", task: async (row: { n: number }) => row.n, onProgress: (p) => seen.push(p) }),
      ).rejects.toMatchObject({
        code: "ERR_THEMIS_UNAVAILABLE",
      });
      expect(seen.filter((p) => p.done > 0)).toEqual([]);
      const [run] = await listRuns(crashing, "lost");
      expect(run).toMatchObject({ status: "failed", counts: { succeeded: 0, failed: 0 } });
    } finally {
      await crashing.close();
    }
  });

  it("reports progress with done / failed / total and a rate", async () => {
    const events: ExperimentProgress[] = [];
    await project.runExperiment({ dataset: "qa", experiment: "progress", task, onProgress: (p) => events.push(p) });
    expect(events.length).toBe(12);
    expect(events.at(-1)).toMatchObject({ done: 12, failed: 2, succeeded: 10, total: 12 });
    expect(events.every((e) => e.ratePerSecond >= 0)).toBe(true);
  });

  it("runs module tasks on the worker pool and command tasks as processes", async () => {
    const mod = await project.runExperiment({ dataset: "qa", experiment: "module", task: { kind: "module", module: jobs, export: "echoRow" } });
    expect(mod).toMatchObject({ status: "completed", succeeded: 12 });
    const rows = await (await project.getExperiment("module")).load();
    // Results are appended in completion order: find each by its output.
    expect(rows.map((r) => r.output)).toContainEqual({ question: "q0", length: 2 });
    expect(rows.map((r) => r.output)).toContainEqual({ question: "q11", length: 3 });
    const cmd = await project.runExperiment({
      dataset: "qa",
      experiment: "command",
      task: { kind: "command", command: (row: { question: string }) => ({ argv: ["cat"], stdin: row.question }) },
      execution: "sequential",
    });
    expect(cmd).toMatchObject({ status: "completed", succeeded: 12 });
    const out = await (await project.getExperiment("command")).load();
    expect(out.map((r) => r.output).sort()).toEqual(Array.from({ length: 12 }, (_, i) => `q${i}`).sort());
  });

  it("a value that is not JSON becomes an error row, not a lost row", async () => {
    await project.runExperiment({ dataset: "qa", experiment: "nonjson", task: async () => ({ n: Number.NaN }) });
    const rows = await (await project.getExperiment("nonjson")).load();
    expect(rows.length).toBe(12);
    expect(rows.every((r) => r.status === "error" && (r.error as { code?: string }).code === "ERR_THEMIS_INVALID_ROW")).toBe(true);
  });
});
