// The lease of a run on its claimed blocks: a run whose heartbeat lapsed (the process frozen,
// its event loop blocked) waits for a beat before starting another row, and counts the lapse,
// so that rows of blocks claimed before it start only after the claim is checked again.
// Runner processes frozen with SIGSTOP: backend-redis and backend-s3 test/claims-break.test.ts.
import { randomUUID } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Project } from "../dist/index.js";
import type { Table } from "../dist/index.js";
import { blockClaimIdPrefix } from "../dist/experiment/claim-ids.js";
import { BlockClaims, claimsTable } from "../dist/experiment/claims.js";
import { CANCELS_TABLE } from "../dist/experiment/cancel.js";
import { ResultWriter } from "../dist/experiment/result-writer.js";
import type { ResultRow } from "../dist/experiment/result-row.js";
import { RunHeartbeat } from "../dist/experiment/run-heartbeat.js";
import { RUNS_TABLE, type RunRecord } from "../dist/experiment/run-record.js";

/** Block the event loop (no timer fires) for `ms`, as SIGSTOP would freeze the whole process. */
function freeze(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

describe("a run's lease on its blocks", () => {
  let project: Project;
  let runs: Table;
  let cancels: Table;
  beforeEach(async () => {
    project = await Project.create("p", "memory", { namespace: `lease-${randomUUID()}` });
    runs = await project.internalTable("experiment", RUNS_TABLE);
    cancels = await project.internalTable("experiment", CANCELS_TABLE);
  });
  afterEach(() => project.close());

  const heartbeat = (runId: string, intervalMs: number) => {
    const now = new Date().toISOString();
    const record = { run_id: runId, status: "running", started_at: now, heartbeat_at: now, heartbeat_ms: intervalMs } as unknown as RunRecord;
    const hooks = {
      counts: () => ({ total: null, succeeded: 0, failed: 0, skipped: 0, claimed_elsewhere: 0 }),
      onCancel: () => undefined,
      onError: () => undefined,
      onDeadline: () => undefined,
      writingSince: () => undefined,
    };
    return new RunHeartbeat(runs, cancels, record, { intervalMs, deadlineMs: 60_000 }, hooks);
  };

  it("a run frozen past its heartbeat waits for a fresh beat and counts a lapse", async () => {
    const beat = heartbeat("r1", 200);
    await beat.start();
    const signal = new AbortController().signal;
    expect(await beat.fresh(signal)).toBe(0);
    freeze(1000);
    // Frozen 5 intervals: others may have seen it stale (after 4). The next row waits for a beat.
    const before = Date.parse(String((await runs.get("r1")).heartbeat_at));
    expect(await beat.fresh(signal)).toBe(1);
    expect(beat.epoch).toBe(1);
    expect(Date.parse(String((await runs.get("r1")).heartbeat_at))).toBeGreaterThan(before);
    await beat.finish({ status: "completed" });
  });

  it("a run that beats on counts no lapse", async () => {
    const beat = heartbeat("r2", 200);
    await beat.start();
    const signal = new AbortController().signal;
    for (let i = 0; i < 5; i++) {
      // Short stalls (half an interval), well under the lapse (3 intervals).
      freeze(100);
      await new Promise((resolve) => setTimeout(resolve, 250));
      expect(await beat.fresh(signal)).toBe(0);
    }
    await beat.finish({ status: "completed" });
  });

  it("stillHolds: false once another runner claimed the next generation of the block", async () => {
    const claims = await project.internalTable("experiment", claimsTable("e"));
    await project.createExperiment("e");
    const mine = new BlockClaims(claims, runs, await project.getExperiment("e"), { runId: "r1", experiment: "e", key: "k", failedBefore: new Map() });
    const verdicts = await mine.claimBlocks([{ index: 0, rows: ["x"] }]);
    expect(verdicts.get(0)).toMatchObject({ verdict: "mine", generation: 0 });
    expect(await mine.stillHolds(0, 0)).toBe(true);
    await claims.append({ _row_id: `${blockClaimIdPrefix("e", "k", 0)}1`, block: 0, block_rows: 64, generation: 1, run_id: "r2" });
    expect(await mine.stillHolds(0, 0)).toBe(false);
  });

  it("a late result of a runner taken over: an ok one replaces the stored result, an error one never does", async () => {
    const table = await project.createExperiment("e");
    const result = (id: string, status: "ok" | "error", run: string) =>
      ({ _row_id: id, dataset_row_id: id, task_key: "k", run_id: run, status, output: status === "ok" ? run : null }) as unknown as ResultRow;
    await table.appendMany([result("x", "ok", "taker"), result("y", "ok", "taker")]);
    // The runner that came back: its frozen rows timed out (x) or finished (y).
    const writer = new ResultWriter(table, new Map());
    writer.add(result("x", "error", "late"));
    writer.add(result("y", "ok", "late"));
    await writer.flush();
    const rows = new Map((await table.load()).map((r) => [r._row_id, r]));
    expect(rows.size).toBe(2);
    expect(rows.get("x")).toMatchObject({ status: "ok", run_id: "taker" });
    expect(rows.get("y")).toMatchObject({ status: "ok", run_id: "late" });
  });
});
