import type { Experiment } from "@themis/core";
import { afterEach, beforeEach, expect, test } from "vitest";
import { type StoredResult, resultId } from "../src/cache.js";
import { type ClaimRequest, StageClaims } from "../src/claims.js";
import { type PipelineRunRecord, newRecord, runsTable } from "../src/run-record.js";
import { tempProject } from "./helpers.js";

// Two blocks for 40 rows: every block holds many rows, so a runner stops mid-block.
const BLOCKS = 2;
const TASK = "code:params";
let env: Awaited<ReturnType<typeof tempProject>>;
let results: Experiment<StoredResult>;
beforeEach(async () => {
  env = await tempProject(0);
  results = (await env.project.createExperiment("s")) as unknown as Experiment<StoredResult>;
});
afterEach(() => env.cleanup());

const reqs = (n: number): ClaimRequest[] => Array.from({ length: n }, (_, i) => ({ rowId: `r${i}`, key: `k${i}`, failedIn: undefined }));

function result(req: ClaimRequest, run: string): StoredResult {
  return {
    _row_id: resultId(req.rowId, req.key),
    dataset_row_id: req.rowId,
    status: "ok",
    output: req.rowId,
    error: null,
    cache_key: req.key,
    input_hash: "i",
    code_hash: "code",
    params_hash: "params",
    pipeline_run: run,
    run_id: `${run}:s`,
    task_key: TASK,
    attempts: 1,
    duration_ms: 1,
    finished_at: new Date().toISOString(),
  };
}

/** A pipeline run record: live (fresh heartbeat) or killed (running, its heartbeat long stale). */
async function runRecord(id: string, live: boolean): Promise<void> {
  const record: PipelineRunRecord = { ...newRecord(id, "p", {}, 1000), _row_id: id };
  if (!live) record.heartbeat_at = record.started_at = new Date(Date.now() - 3_600_000).toISOString();
  await (await runsTable(env.project)).append(record);
}

async function claims(run: string): Promise<StageClaims> {
  return StageClaims.open(env.project, await runsTable(env.project), results, run, TASK, BLOCKS);
}

async function claimRows(): Promise<{ generation: number; pipeline_run: string; released?: boolean }[]> {
  return (await (await env.project.internalTable("experiment", "__claims.s")).load()) as never;
}

test("block claims: one claim row per block, rows of a held block go to that runner only", async () => {
  await runRecord("a", true);
  await runRecord("b", true);
  const a = await claims("a");
  const b = await claims("b");
  const rows = reqs(40);
  expect((await a.claimMany(rows)).every((v) => v.verdict === "mine")).toBe(true);
  expect(await claimRows()).toHaveLength(BLOCKS);
  // The same rows reach b (in another order): a live runner holds every block.
  expect((await b.claimMany([...rows].reverse())).every((v) => v.verdict === "held")).toBe(true);
  // A row a finished is b's answer as soon as it is stored; the others stay held.
  await results.append(result(rows[3]!, "a"));
  const again = await b.claimAgain(rows);
  expect(again[3]).toMatchObject({ verdict: "done", result: { pipeline_run: "a" } });
  expect(again.filter((v) => v.verdict === "held")).toHaveLength(39);
});

test("a runner killed mid-block: its blocks are taken over, its finished rows are not run again, the others are", async () => {
  await runRecord("dead", false);
  await runRecord("b", true);
  const dead = await claims("dead");
  const rows = reqs(40);
  expect((await dead.claimMany(rows)).every((v) => v.verdict === "mine")).toBe(true);
  // It stored 15 rows before it was killed (after b read the results: b's feed did not see them).
  for (const r of rows.slice(0, 15)) await results.append(result(r, "dead"));
  const b = await claims("b");
  const verdicts = await b.claimMany(rows);
  expect(verdicts.slice(0, 15).every((v) => v.verdict === "done")).toBe(true);
  expect(verdicts.slice(15).every((v) => v.verdict === "mine")).toBe(true);
  // Taken over with the next generation of each block.
  const taken = (await claimRows()).filter((c) => c.pipeline_run === "b");
  expect(taken.map((c) => c.generation)).toEqual([1, 1]);
  // Rows of those blocks that arrive later are b's too, without another claim.
  const later = await b.claimMany([{ rowId: "r40", key: "k40", failedIn: undefined }]);
  expect(later).toEqual([{ verdict: "mine" }]);
  expect(await claimRows()).toHaveLength(2 * BLOCKS);
});

test("a live runner's block is taken over once it is released; a resumed run keeps its own blocks", async () => {
  await runRecord("a", true);
  await runRecord("b", true);
  const a = await claims("a");
  const rows = reqs(40);
  await a.claimMany(rows);
  for (const r of rows.slice(0, 30)) await results.append(result(r, "a"));
  await a.release();
  const b = await claims("b");
  const verdicts = await b.claimMany(rows);
  expect(verdicts.filter((v) => v.verdict === "done")).toHaveLength(30);
  expect(verdicts.slice(30).every((v) => v.verdict === "mine")).toBe(true);

  // b resumed (the same run id, a new process): its blocks are still its own, rows stored are done.
  for (const r of rows.slice(30, 35)) await results.append(result(r, "b"));
  const resumed = await claims("b");
  const again = await resumed.claimMany(rows.slice(30));
  expect(again.map((v) => v.verdict)).toEqual([...Array(5).fill("done"), ...Array(5).fill("mine")]);
  expect((await claimRows()).filter((c) => c.released !== true)).toHaveLength(2 * BLOCKS);
});

test("per-row claims of an earlier version are read: a live runner's rows are held, an ended runner's stored rows are done", async () => {
  await runRecord("old-live", true);
  await runRecord("old-dead", false);
  await runRecord("b", true);
  const table = await env.project.internalTable("experiment", "__claims.s");
  const rows = reqs(4);
  const old = (r: ClaimRequest, run: string) => ({ _row_id: `p-${r.rowId}-0`, dataset_row_id: r.rowId, cache_key: r.key, generation: 0, pipeline_run: run });
  await table.appendMany([old(rows[0]!, "old-live"), old(rows[1]!, "old-dead"), old(rows[2]!, "old-dead")]);
  await results.append(result(rows[1]!, "old-dead"));
  const verdicts = await (await claims("b")).claimMany(rows);
  expect(verdicts.map((v) => v.verdict)).toEqual(["held", "done", "mine", "mine"]);
});

test("a runner whose heartbeat lapsed looks again before it runs more rows of its blocks: the ones taken over are not its own any more", async () => {
  await runRecord("late", false); // its record looks dead to others, as after a long stall
  await runRecord("b", true);
  const late = await claims("late");
  const rows = reqs(40);
  expect((await late.claimMany(rows.slice(0, 20))).every((v) => v.verdict === "mine")).toBe(true);
  expect((await (await claims("b")).claimMany(rows.slice(0, 20))).every((v) => v.verdict === "mine")).toBe(true);
  // More rows of the same blocks reach the late runner: b holds them now.
  expect((await late.claimMany(rows.slice(20))).every((v) => v.verdict === "held")).toBe(true);
  expect((await claimRows()).filter((c) => c.pipeline_run === "late")).toHaveLength(BLOCKS);
});
