import { randomUUID } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Project, compareRuns, deleteRun, getRun, listRuns, topErrors } from "../dist/index.js";
import { bootstrapMean, mcnemar } from "../dist/experiment/stats.js";

// A fixed, symmetric "noise" per row: the same for every run, mean 0 over 10 consecutive rows.
const noise = (n: number): number => ((n * 7) % 10) - 4.5;

describe("compareRuns: paired tests with known answers", () => {
  let project: Project;
  beforeEach(async () => {
    project = await Project.create(`p${randomUUID().slice(0, 8)}`, "memory", { namespace: `cmp-${randomUUID()}` });
    await (await project.createDataset("qa")).appendMany(Array.from({ length: 200 }, (_, i) => ({ n: i })));
  });
  afterEach(() => project.close());

  const run = async (experiment: string, score: (n: number) => { exact: boolean; quality: number }) =>
    (await project.runExperiment({ dataset: "qa", experiment, task: async (row: { n: number }) => ({ output: row.n, scores: score(row.n) }) })).runId;

  it("a planted difference is significant; no difference is not", async () => {
    const base = await run("base", (n) => ({ exact: n % 2 === 0, quality: 10 + noise(n) }));
    // +1 quality on every row, and 20 rows flip from wrong to right.
    const better = await run("better", (n) => ({ exact: n % 2 === 0 || n % 10 === 1, quality: 11 + noise(n) }));
    // Same means: quality noise reshuffled across rows, 10 rows flip each way.
    const same = await run("same", (n) => ({ exact: n % 20 === 1 ? true : n % 20 === 2 ? false : n % 2 === 0, quality: 10 + noise(n + 5) }));

    const up = await compareRuns(project, base, better);
    expect(up).toMatchObject({ both: 200, onlyInA: [], onlyInB: [] });
    const q = up.metrics.find((m) => m.metric === "quality")!;
    expect(q.delta).toBeCloseTo(1);
    expect(q.significant).toBe(true);
    expect(q.ci![0]).toBeGreaterThan(0);
    const e = up.metrics.find((m) => m.metric === "exact")!;
    expect(e).toMatchObject({ kind: "boolean", discordant: { aOnly: 0, bOnly: 20 }, significant: true });
    expect(e.delta).toBeCloseTo(0.1);

    const flat = await compareRuns(project, base, same);
    const fq = flat.metrics.find((m) => m.metric === "quality")!;
    expect(fq.delta).toBeCloseTo(0);
    expect(fq.significant).toBe(false);
    expect(fq.ci![0]).toBeLessThan(0);
    expect(fq.ci![1]).toBeGreaterThan(0);
    expect(flat.metrics.find((m) => m.metric === "exact")).toMatchObject({ discordant: { aOnly: 10, bOnly: 10 }, p: 1, significant: false });
    // Seeded: the same comparison twice reads the same.
    expect(await compareRuns(project, base, same)).toEqual(flat);
  });

  it("rows only in one run are listed", async () => {
    const a = await run("a", (n) => ({ exact: true, quality: n }));
    await (await project.getDataset("qa")).append({ n: 999 });
    const b = await run("b", (n) => ({ exact: true, quality: n }));
    const cmp = await compareRuns(project, a, b);
    expect(cmp.onlyInA).toEqual([]);
    expect(cmp.onlyInB).toHaveLength(1);
    expect(cmp.both).toBe(200);
  });

  it("the statistics: McNemar exact and chi-square, bootstrap interval", () => {
    expect(mcnemar(0, 0)).toBe(1);
    expect(mcnemar(0, 6)).toBeCloseTo(0.03125);
    expect(mcnemar(10, 10)).toBe(1);
    expect(mcnemar(5, 45)).toBeLessThan(1e-6);
    const b = bootstrapMean([1, 2, 3, 4, 5], { seed: 7 });
    expect(b.mean).toBe(3);
    expect(b.low).toBeGreaterThanOrEqual(1);
    expect(b.high).toBeLessThanOrEqual(5);
    expect(b.low).toBeLessThan(3);
  });

  it("topErrors and deleteRun: a run's error rows grouped; delete removes its rows and record", async () => {
    const summary = await project.runExperiment({
      dataset: "qa",
      experiment: "errs",
      task: async (row: { n: number }) => {
        if (row.n % 3 === 1) throw Object.assign(new Error("rate limited"), { code: "E_RATE" });
        return row.n;
      },
    });
    expect(await topErrors(project, summary.runId)).toEqual([{ code: "E_RATE", message: "rate limited", count: 67 }]);
    expect(await deleteRun(project, summary.runId)).toEqual({ resultRows: 200 });
    expect(await (await project.getExperiment("errs")).load()).toEqual([]);
    expect(await listRuns(project, "errs")).toEqual([]);
    await expect(getRun(project, summary.runId)).rejects.toMatchObject({ code: "ERR_THEMIS_NOT_FOUND" });
    const again = await project.runExperiment({ dataset: "qa", experiment: "errs", task: async (row: { n: number }) => row.n, resume: true });
    expect(again).toMatchObject({ succeeded: 200, skipped: 0 });
  });
});
