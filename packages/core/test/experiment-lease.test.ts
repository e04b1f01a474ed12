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
import { type Lease, RunHeartbeat } from "../dist/experiment/run-heartbeat.js";
import { claimedRows } from "../dist/experiment/run-inputs.js";
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

  describe("the rows a run starts (claimedRows)", () => {
    /** 100 dataset rows (blocks of 64 + 36), every block claimed by this run. */
    const setup = async (lease: Lease, holds: (block: number) => boolean, onRow: (rows: number) => void = () => undefined) => {
      const dataset = await project.createDataset("qa");
      await dataset.appendMany(Array.from({ length: 100 }, (_, n) => ({ n })));
      const checked: number[] = [];
      const claims = {
        claimBlocks: async (blocks: { index: number }[]) => new Map(blocks.map((b) => [b.index, { verdict: "mine", generation: 0, finished: new Set() }])),
        stillHolds: async (index: number) => {
          checked.push(index);
          return holds(index);
        },
      };
      const counts = { elsewhere: 0 };
      const hooks = { onSkipped: () => undefined, onClaimedElsewhere: () => void counts.elsewhere++, onDatasetRead: () => undefined };
      const releases = { hold: () => undefined, stored: () => undefined };
      const settings = { done: new Set<string>(), claims, releases, pollMs: 10, lease, signal: new AbortController().signal };
      // biome-ignore lint/suspicious/noExplicitAny: test doubles of the claims and releases
      const rows = claimedRows(dataset, settings as any, hooks);
      const seen: number[] = [];
      let waits = 0;
      for (;;) {
        const step = rows.next();
        if (step instanceof Promise) waits++;
        const result = await step;
        if (result.done) break;
        seen.push(Number(result.value.row.n));
        onRow(seen.length);
      }
      return { seen, waits, checked, counts };
    };

    it("rows of a claimed block come without waiting while the lease is fresh", async () => {
      const lease: Lease = { epoch: 0, fresh: async () => 0, current: () => 0 };
      const { seen, waits, checked } = await setup(lease, () => true);
      expect(seen).toEqual(Array.from({ length: 100 }, (_, n) => n));
      // One wait per block (its claim) and one for the end: none per row.
      expect(waits).toBe(3);
      expect(checked).toEqual([]);
    });

    it("after a lapse the claim is checked before the next row, and a block taken over meanwhile is left", async () => {
      let epoch = 0;
      let lapsed = false;
      const lease: Lease = {
        get epoch() {
          return epoch;
        },
        fresh: async () => {
          if (lapsed) epoch = 1;
          return epoch;
        },
        current: () => (lapsed && epoch === 0 ? undefined : epoch),
      };
      // The lease lapses once 10 rows have started: the run may have looked dead from then on.
      // Another runner took block 0 over meanwhile; block 1 is still this run's.
      const { seen, checked, counts } = await setup(
        lease,
        (block) => block !== 0,
        (rows) => {
          if (rows === 10) lapsed = true;
        },
      );
      expect(seen).toEqual([...Array.from({ length: 10 }, (_, n) => n), ...Array.from({ length: 36 }, (_, n) => 64 + n)]);
      expect(counts.elsewhere).toBe(54);
      // Block 0 is checked once; block 1 only if its claim (made while block 0 ran) came before the lapse.
      expect(checked[0]).toBe(0);
      expect(checked.slice(1).every((block) => block === 1)).toBe(true);
    });
  });
});
