import { randomUUID } from "node:crypto";
import { setTimeout as delay } from "node:timers/promises";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Project } from "../dist/index.js";
import type { StorageBackend, StoredRow, Table, TableStore } from "../dist/index.js";
import { BLOCK_ROWS, blockClaimIdPrefix, rowClaimIdPrefix } from "../dist/experiment/claim-ids.js";
import { BlockClaims, claimHolders, claimsTable, resultRowId } from "../dist/experiment/claims.js";
import { RUNS_TABLE } from "../dist/experiment/run-record.js";
import { taskKeyOf } from "../dist/experiment/run-setup.js";
import { wrappedStorage } from "./wrapped-storage.js";

// The resume key of every run below (a task id names the task, so its code does not count).
const key = taskKeyOf(async () => 0, { taskId: "t" }, {}).key;

describe("derived ids are part of the stored format", () => {
  it("result, block claim and row claim ids are those earlier versions wrote (a resume finds their rows)", () => {
    // Values written by @themis/core before this test existed: a change here orphans every stored result and claim.
    expect(resultRowId("row-1", "key-1")).toBe("r-b88b761dfee52d5905e57bab42c1715acd6b0320");
    expect(blockClaimIdPrefix("exp", "key-1", 7)).toBe("b-c24ec5ed4bebd07312779584fe1a2e5be29ca768-");
    expect(rowClaimIdPrefix("exp", "row-1", "key-1")).toBe("c-3fd1077a9619df434839c2bf4ea04ef9ef472510-");
  });
});

describe("row claims by block: runners split the work, dead runners' blocks are taken over", () => {
  let namespace: string;
  let project: Project;
  let runs: Table;
  let ids: string[];
  beforeEach(async () => {
    namespace = `claims-${randomUUID()}`;
    project = await Project.create("p", "memory", { namespace });
    // Three blocks: 64 + 64 + 22 rows.
    await (await project.createDataset("qa")).appendMany(Array.from({ length: 150 }, (_, n) => ({ n })));
    ids = (await (await project.getDataset("qa")).load()).map((r) => r._row_id);
    runs = await project.internalTable("experiment", RUNS_TABLE);
  });
  afterEach(() => project.close());

  /** A run record: a live one beats now, a dead one stopped beating an hour ago. */
  const record = async (runId: string, state: "live" | "dead" | "completed") => {
    const at = new Date(Date.now() - (state === "dead" ? 3600_000 : 0)).toISOString();
    const row = { run_id: runId, status: state === "completed" ? "completed" : "running", started_at: at, heartbeat_at: at, heartbeat_ms: 60_000 };
    // Upsert: a test moves a run from live to completed.
    if ((await runs.load()).some((r) => r._row_id === runId)) await runs.update(runId, row);
    else await runs.append({ _row_id: runId, ...row });
  };
  const claimsOf = async (experiment: string, runId: string, failedBefore = new Map<string, string>()) =>
    new BlockClaims(await project.internalTable("experiment", claimsTable(experiment)), runs, await project.getExperiment(experiment), {
      runId,
      experiment,
      key,
      failedBefore,
    });
  const block = (index: number) => ({ index, rows: ids.slice(index * BLOCK_ROWS, (index + 1) * BLOCK_ROWS) });
  const result = (id: string, runId: string) => ({ _row_id: resultRowId(id, key), dataset_row_id: id, status: "ok", output: 1, run_id: runId, task_key: key });
  /** A task that counts how often each row ran. */
  const counted = (calls: Map<number, number>) => async (row: { n: number }) => {
    calls.set(row.n, (calls.get(row.n) ?? 0) + 1);
    await delay(1);
    return row.n;
  };
  const options = (experiment: string, task: (row: { n: number }) => Promise<number>) => ({
    dataset: "qa",
    experiment,
    task,
    taskId: "t",
    resume: true,
    concurrency: 4,
  });

  it("two runners at once: each row runs once and gets one result, with one claim row per block", async () => {
    const calls = new Map<number, number>();
    await project.createExperiment("shared");
    const [a, b] = await Promise.all([project.runExperiment(options("shared", counted(calls))), project.runExperiment(options("shared", counted(calls)))]);
    const rows = await (await project.getExperiment("shared")).load();
    expect(rows.length).toBe(150);
    expect(new Set(rows.map((r) => r.dataset_row_id)).size).toBe(150);
    expect(calls.size).toBe(150);
    expect([...calls.values()].every((n) => n === 1)).toBe(true);
    expect(a.succeeded + b.succeeded).toBe(150);
    const claims = (await (await project.internalTable("experiment", claimsTable("shared"))).load()).filter((c) => c.released !== true);
    expect(claims.every((c) => typeof c.block === "number" && c.block_rows === BLOCK_ROWS)).toBe(true);
    // One claim row per block, plus at most a takeover per block.
    expect(new Set(claims.map((c) => c.block))).toEqual(new Set([0, 1, 2]));
  }, 60_000);

  it("a block held by a stale run is taken over with the next generation", async () => {
    await record("dead", "dead");
    await project.createExperiment("taken");
    const verdicts = await (await claimsOf("taken", "dead")).claimBlocks([block(0), block(1), block(2)]);
    expect([...verdicts.values()].map((v) => v.verdict)).toEqual(["mine", "mine", "mine"]);
    const summary = await project.runExperiment(options("taken", async (row) => row.n));
    expect(summary).toMatchObject({ status: "completed", succeeded: 150 });
    const claims = (await (await project.internalTable("experiment", claimsTable("taken"))).load()).filter((c) => c.released !== true);
    expect(claims.filter((c) => c.generation === 1 && c.run_id === summary.runId).map((c) => c.block)).toEqual([0, 1, 2]);
  });

  it("takeover of a dead runner's partly done blocks: only the rows without a result run, each once", async () => {
    await record("dead", "dead");
    await project.createExperiment("partly");
    await (await claimsOf("partly", "dead")).claimBlocks([block(0), block(1)]);
    // The dead runner stored 40 rows of block 0 and 10 of block 1 before it was killed.
    const stored = [...ids.slice(0, 40), ...ids.slice(64, 74)];
    await (await project.getExperiment("partly")).appendMany(stored.map((id) => result(id, "dead")));
    const calls = new Map<number, number>();
    const summary = await project.runExperiment(options("partly", counted(calls)));
    expect(summary).toMatchObject({ status: "completed", succeeded: 100, skipped: 50 });
    const ran = [...calls.keys()].sort((x, y) => x - y);
    const expected = Array.from({ length: 150 }, (_, n) => n).filter((n) => !(n < 40 || (n >= 64 && n < 74)));
    expect(ran).toEqual(expected);
    expect([...calls.values()].every((n) => n === 1)).toBe(true);
    expect((await (await project.getExperiment("partly")).load()).length).toBe(150);
  });

  it("a block whose holder finished rows after this run read what was done: those rows are not run (with and without preloaded claims)", async () => {
    await record("quick", "live");
    await project.createExperiment("quick");
    expect((await (await claimsOf("quick", "quick")).claimBlocks([block(0)])).get(0)).toEqual({ verdict: "mine", generation: 0, finished: new Set() });
    // The late runners read the (empty) results and, one of them, the claims, while the quick one held block 0...
    const late = await claimsOf("quick", "late");
    await late.preload(await claimHolders(await project.internalTable("experiment", claimsTable("quick")), "quick", key, new Set()));
    const fresh = await claimsOf("quick", "fresh");
    // ...then the quick one stored 5 rows of the block and ended.
    await (await project.getExperiment("quick")).appendMany(ids.slice(0, 5).map((id) => result(id, "quick")));
    await record("quick", "completed");
    expect((await late.claimBlocks([block(0)])).get(0)).toEqual({ verdict: "mine", generation: 1, finished: new Set(ids.slice(0, 5)) });
    // The other one, without the claims read ahead, finds the block by its id (and late's generation 1).
    await record("late", "live");
    expect((await fresh.claimBlocks([block(0)])).get(0)).toEqual({ verdict: "held" });
    await record("late", "completed");
    // (A new instance: run states are cached for a second.)
    const again = await claimsOf("quick", "fresh");
    expect((await again.claimBlocks([block(0)])).get(0)).toEqual({ verdict: "mine", generation: 2, finished: new Set(ids.slice(0, 5)) });
  });

  it("a block whose holder finished all its rows is done, without a new claim", async () => {
    await record("quick", "completed");
    await project.createExperiment("all");
    await (await claimsOf("all", "quick")).claimBlocks([block(2)]);
    await (await project.getExperiment("all")).appendMany(block(2).rows.map((id) => result(id, "quick")));
    expect((await (await claimsOf("all", "late")).claimBlocks([block(2)])).get(2)).toEqual({ verdict: "done" });
    const claims = await (await project.internalTable("experiment", claimsTable("all"))).load();
    expect(claims.map((c) => c.run_id)).toEqual(["quick"]);
  });

  it("resume: blocks a live run holds are waited for, and their finished rows not redone", async () => {
    await record("live", "live");
    await project.createExperiment("held");
    await (await claimsOf("held", "live")).claimBlocks([block(0)]);
    const calls = new Map<number, number>();
    const resumed = project.runExperiment({ ...options("held", counted(calls)), heartbeatMs: 100 });
    // The live run finishes 4 rows of its block while the resumed one waits, then ends.
    await delay(300);
    expect([...calls.keys()].some((n) => n < 64)).toBe(false);
    await (await project.getExperiment("held")).appendMany(ids.slice(0, 4).map((id) => result(id, "live")));
    await record("live", "completed");
    const summary = await resumed;
    expect(summary).toMatchObject({ status: "completed", succeeded: 146, skipped: 4 });
    expect([...calls.keys()].sort((x, y) => x - y)).toEqual(Array.from({ length: 146 }, (_, i) => i + 4));
    expect((await (await project.getExperiment("held")).load()).length).toBe(150);
  });

  it("a runner frozen mid-block (as by kill -9) is taken over once stale: each row without a stored result runs once", async () => {
    const frozen = { now: false };
    const gate = <T>(call: () => Promise<T>): Promise<T> => (frozen.now ? new Promise<T>(() => undefined) : call());
    const freezing: StorageBackend = wrappedStorage(
      "freezing",
      (_, t: TableStore): TableStore => ({
        load: () => gate(() => t.load()),
        entries: () => t.entries(),
        get: (id) => gate(() => t.get(id)),
        append: (rows) => gate(() => t.append(rows)),
        update: (row) => gate(() => t.update(row)),
        delete: (id) => gate(() => t.delete(id)),
      }),
      namespace,
    );
    const killed = await Project.open("p", freezing);
    await project.createExperiment("killed");
    const firstCalls = new Map<number, number>();
    const count = counted(firstCalls);
    // From its 90th row on, the first runner stops: no more writes, no heartbeat, no result.
    void killed.runExperiment({
      ...options("killed", async (row) => {
        if (firstCalls.size >= 90) frozen.now = true;
        if (frozen.now) await new Promise(() => undefined);
        return count(row);
      }),
      heartbeatMs: 50,
      storageDeadlineMs: 3_600_000,
    });
    while (!frozen.now) await delay(10);
    const storedBefore = new Set((await (await project.getExperiment("killed")).load()).map((r) => String(r.dataset_row_id)));
    expect(storedBefore.size).toBeGreaterThan(0);
    expect(storedBefore.size).toBeLessThan(150);
    // Stale after 4 missed beats of 50 ms.
    await delay(400);
    const calls = new Map<number, number>();
    const summary = await project.runExperiment(options("killed", counted(calls)));
    const rows = await (await project.getExperiment("killed")).load();
    expect(rows.length).toBe(150);
    expect(new Set(rows.map((r) => r.dataset_row_id)).size).toBe(150);
    expect([...calls.values()].every((n) => n === 1)).toBe(true);
    const ranIds = new Set([...calls.keys()].map((n) => ids[n]));
    expect([...ranIds].filter((id) => storedBefore.has(String(id)))).toEqual([]);
    expect(ranIds.size + storedBefore.size).toBe(150);
    expect(summary).toMatchObject({ status: "completed", succeeded: 150 - storedBefore.size, skipped: storedBefore.size });
  }, 30_000);

  /** Claim rows as @themis/core wrote them before block claims: one per dataset row. */
  const rowClaims = (experiment: string, rowIds: string[], runId: string): StoredRow[] =>
    rowIds.map((id) => ({
      _row_id: `${rowClaimIdPrefix(experiment, id, key)}0`,
      dataset_row_id: id,
      generation: 0,
      run_id: runId,
      claimed_at: new Date().toISOString(),
    }));

  it("resumes a run started by the per-row claims of older versions: rows without a result run once", async () => {
    await record("old", "dead");
    await project.createExperiment("old");
    await (await project.internalTable("experiment", claimsTable("old"))).appendMany(rowClaims("old", ids.slice(0, 80), "old"));
    await (await project.getExperiment("old")).appendMany(ids.slice(0, 30).map((id) => result(id, "old")));
    const calls = new Map<number, number>();
    const summary = await project.runExperiment(options("old", counted(calls)));
    expect(summary).toMatchObject({ status: "completed", succeeded: 120, skipped: 30 });
    expect([...calls.keys()].sort((x, y) => x - y)).toEqual(Array.from({ length: 120 }, (_, i) => i + 30));
    expect([...calls.values()].every((n) => n === 1)).toBe(true);
  });

  it("per-row claims of older versions: rows their ended runner finished late are not run; a live one stops the resume", async () => {
    await record("old", "live");
    await project.createExperiment("old");
    const table = await project.internalTable("experiment", claimsTable("old"));
    await table.appendMany(rowClaims("old", ids.slice(0, 10), "old"));
    const holders = await claimHolders(table, "old", key, new Set(ids.slice(0, 2)));
    expect([...holders.rows.keys()]).toEqual(ids.slice(2, 10));
    await expect((await claimsOf("old", "new")).preload(holders)).rejects.toMatchObject({
      code: "ERR_THEMIS_CONFLICT",
      message: expect.stringContaining("older @themis/core"),
    });
    // Once it ended: rows it stored after the resume read the results count as done.
    await (await project.getExperiment("old")).appendMany(ids.slice(2, 6).map((id) => result(id, "old")));
    await record("old", "completed");
    const late = await claimsOf("old", "late");
    await late.preload(holders);
    expect((await late.claimBlocks([block(0)])).get(0)).toEqual({ verdict: "mine", generation: 0, finished: new Set(ids.slice(2, 6)) });
  });

  it("claims of blocks of another size (another version) stop a resume with a clear error", async () => {
    await project.createExperiment("sized");
    const table = await project.internalTable("experiment", claimsTable("sized"));
    await table.append({ _row_id: `${blockClaimIdPrefix("sized", key, 0)}0`, block: 0, block_rows: 128, generation: 0, run_id: "x", claimed_at: "" });
    await expect(claimHolders(table, "sized", key, new Set())).rejects.toMatchObject({
      code: "ERR_THEMIS_CONFLICT",
      message: expect.stringContaining("128 rows"),
    });
  });

  it("deleting an experiment drops its claims: a new experiment by that name claims every block afresh", async () => {
    const task = async (row: { n: number }) => row.n;
    await project.runExperiment({ dataset: "qa", experiment: "again", task, taskId: "t" });
    await project.deleteExperiment("again");
    const second = await project.runExperiment({ dataset: "qa", experiment: "again", task, taskId: "t" });
    expect(second).toMatchObject({ status: "completed", succeeded: 150 });
    const rows = await (await project.internalTable("experiment", claimsTable("again"))).load();
    const byBlock = (a: StoredRow, b: StoredRow) => Number(a.block) - Number(b.block);
    const claims = rows.filter((c) => c.released !== true).sort(byBlock);
    expect(claims.map((c) => [c.block, c.generation, c.run_id])).toEqual([0, 1, 2].map((b) => [b, 0, second.runId]));
    // Each block released once its rows were stored.
    const releases = rows.filter((c) => c.released === true).sort(byBlock);
    expect(releases.map((c) => [c.block, c.generation, c.run_id])).toEqual([0, 1, 2].map((b) => [b, 0, second.runId]));
  });
});
