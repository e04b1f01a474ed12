import { type ExecutionBackend, type Experiment, type JsonValue, type MapOutcome, canonicalJson, map, toJsonRow } from "@themis/core";
import {
  type ResultEntry,
  type RowKey,
  type StageResults,
  type StoredResult,
  asEntry,
  decide,
  entryOf,
  hasStored,
  keepLatest,
  keyFor,
  resultId,
  reusedResult,
  storedFor,
} from "./cache.js";
import type { Emission, ReadyRow } from "./emission.js";
import { hashOf } from "./hash.js";
import type { Stage } from "./stage.js";
import { type WorkItem, liftTask } from "./stage-task.js";
import { ResultWriter } from "./result-writer.js";
import { stageRunId } from "./stage-run-records.js";
import type { StageClaims } from "./claims.js";
import { ClaimPump } from "./claim-pump.js";
import type { StageIndex } from "./stage-index.js";

/** What happened to a stage's rows in one run. */
export interface StageCounts {
  /** Rows that reached the stage. */
  total: number;
  computed: number;
  /** Reused from an earlier run (or read from storage for a stage that was not selected). */
  cached: number;
  failed: number;
  /** Not run because an upstream row failed. */
  blocked: number;
  /** Rows that some upstream of a join never produced. */
  unmatched: number;
  /** Rows another runner of the same pipeline claimed and did (several runners at once). */
  elsewhere: number;
}

export const emptyCounts = (): StageCounts => ({ total: 0, computed: 0, cached: 0, failed: 0, blocked: 0, unmatched: 0, elsewhere: 0 });

/** Everything one stage needs to run. */
export interface StageRun {
  readonly name: string;
  readonly spec: Stage;
  readonly root: boolean;
  readonly table: Experiment<StoredResult>;
  readonly results: StageResults;
  /** The stage's index, written with the results. */
  readonly index: StageIndex | undefined;
  readonly codeHash: string;
  readonly paramsHash: string;
  readonly executor: ExecutionBackend;
  readonly claims: StageClaims;
  readonly runId: string;
  readonly signal: AbortSignal;
  readonly counts: StageCounts;
  readonly emit: (emission: Emission) => void;
  readonly onError: (error: unknown) => void;
}

function errorJson(error: { code?: string; name?: string; message: string }): JsonValue {
  return { code: error.code ?? null, name: error.name ?? null, message: error.message };
}

/** What every result row of a stage run shares: its run id and task key (built once, not per row). */
interface StageConstants {
  readonly runId: string;
  readonly taskKey: string;
}

function resultOf(fixed: StageConstants, item: WorkItem, outcome: MapOutcome): StoredResult {
  const base = (status: "ok" | "error", output: JsonValue, error: JsonValue): StoredResult => ({
    _row_id: resultId(item.rowId, item.key.key),
    dataset_row_id: item.rowId,
    status,
    output,
    error,
    cache_key: item.key.key,
    input_hash: item.key.inputHash,
    run_id: fixed.runId,
    // Every key of a stage run is made of its code and parameters hashes (see keyFor).
    task_key: fixed.taskKey,
    attempts: outcome.attempts,
    duration_ms: Math.round(outcome.durationMs * 1000) / 1000,
    finished_at: new Date().toISOString(),
  });
  if (!outcome.ok) return base("error", null, errorJson(outcome.error));
  try {
    return base("ok", (toJsonRow({ v: outcome.value ?? null }) as { v: JsonValue }).v, null);
  } catch (error) {
    return base(
      "error",
      null,
      errorJson({ code: "ERR_THEMIS_INVALID_ROW", message: `the task's value cannot be stored as JSON: ${(error as Error).message}` }),
    );
  }
}

/** A row's stored result streams on: reused, or done by another runner. */
function emitStored(run: StageRun, rowId: string, stored: ResultEntry): void {
  if (stored.status === "ok") run.emit({ rowId, ok: true, key: stored.cache_key, output: stored.output });
  else run.emit({ rowId, ok: false });
}

/** Rows of the source read ahead of the stage's executor at most (storage reads wait beyond). */
const READ_AHEAD = 2048;

/** Finished rows waiting for their write at most: beyond, the stage waits for the storage. */
const WRITE_AHEAD = 4096;

/** Feed the pump: blocked and cached rows are emitted at once, the others claimed. */
async function feed(run: StageRun, source: AsyncIterable<ReadyRow>, pump: ClaimPump): Promise<void> {
  for await (const row of source) {
    if (run.signal.aborted || pump.stopped) break;
    run.counts.total++;
    if (row.blocked) {
      run.counts.blocked++;
      run.emit({ rowId: row.rowId, ok: false });
      continue;
    }
    const reused = reusedResult(run.results, row.rowId, row.inputHash, run.codeHash, run.paramsHash);
    if (reused !== undefined) {
      run.counts.cached++;
      emitStored(run, row.rowId, reused);
      continue;
    }
    const key: RowKey = keyFor(run.results, row.rowId, row.inputHash, run.codeHash, run.paramsHash);
    const stored = storedFor(run.results, row.rowId, key);
    if (decide(stored, key, run.root) === "cached" && stored) {
      run.counts.cached++;
      emitStored(run, row.rowId, stored);
      continue;
    }
    const input = row.load ? await row.load() : row.input;
    pump.add({ item: { rowId: row.rowId, input, key }, failedIn: stored?.cache_key === key.key ? stored.pipeline_run : undefined });
    if (pump.ready.size >= READ_AHEAD) await pump.ready.below(READ_AHEAD);
  }
}

/**
 * Rows of `source` that must run, claimed first so that another runner of the pipeline
 * does not run them too (see {@link ClaimPump}); the others (blocked, cached, done
 * elsewhere) are emitted at once.
 */
async function* toCompute(run: StageRun, source: AsyncIterable<ReadyRow>, items: Map<number, WorkItem>, writer: ResultWriter): AsyncGenerator<WorkItem> {
  const pump = new ClaimPump(run.claims, (item, result) => {
    // Stored by this very run before it was killed (resumed): reused, not done elsewhere.
    const entry = asEntry(result);
    if (entry.pipeline_run === run.runId) run.counts.cached++;
    else run.counts.elsewhere++;
    writer.storedElsewhere(entry);
    keepLatest(run.results, entry);
    emitStored(run, item.rowId, entry);
  });
  const feeding = feed(run, source, pump)
    .then(() => pump.finish(run.signal))
    .catch((error: unknown) => pump.fail(error));
  let index = 0;
  try {
    for await (const item of pump.ready) {
      items.set(index++, item);
      yield item;
    }
    await feeding;
    pump.throwIfFailed();
  } finally {
    // The stage stopped early (cancelled, failed): stop reading the source too.
    pump.fail(undefined);
  }
}

/** Run a stage over its ready rows: compute what changed, store it, stream every row on. */
export async function runStage(run: StageRun, source: AsyncIterable<ReadyRow>): Promise<void> {
  const writer = new ResultWriter(run.table, run.onError, run.index);
  const items = new Map<number, WorkItem>();
  const spec = run.spec;
  const fixed: StageConstants = { runId: stageRunId(run.runId, run.name), taskKey: `${run.codeHash}:${run.paramsHash}` };
  const outcomes = map(liftTask(spec.task), toCompute(run, source, items, writer), {
    executor: run.executor,
    signal: run.signal,
    ...(spec.concurrency === undefined ? {} : { concurrency: spec.concurrency }),
    ...(spec.timeout === undefined ? {} : { timeout: spec.timeout }),
    ...(spec.retries === undefined ? {} : { retries: spec.retries }),
  });
  for await (const outcome of outcomes) {
    const item = items.get(outcome.index);
    if (item === undefined) continue; // cannot happen: map yields each index it was given once
    items.delete(outcome.index);
    const row = resultOf(fixed, item, outcome);
    // A row cancelled mid-way is not stored: the next run does it.
    if (!(outcome.ok === false && run.signal.aborted)) {
      const entry = entryOf(row);
      writer.add(row, hasStored(run.results, row), entry);
      keepLatest(run.results, entry);
      if (writer.backlog >= WRITE_AHEAD) await writer.room(WRITE_AHEAD);
    }
    if (row.status === "ok") {
      run.counts.computed++;
      run.emit({ rowId: item.rowId, ok: true, key: item.key.key, output: row.output });
    } else {
      run.counts.failed++;
      run.emit({ rowId: item.rowId, ok: false });
    }
  }
  await writer.flush();
  // Every result this run will write for the stage is stored: its blocks are free.
  await run.claims.release();
}

/** A stage that is not run (`only` / `from`): its stored results stream on as they are. */
export function replayStage(run: Pick<StageRun, "results" | "counts" | "emit">): void {
  for (const r of run.results.latest.values()) {
    run.counts.total++;
    if (r.status === "ok") {
      run.counts.cached++;
      run.emit({ rowId: r.dataset_row_id, ok: true, key: r.cache_key, output: r.output });
    } else {
      run.counts.failed++;
      run.emit({ rowId: r.dataset_row_id, ok: false });
    }
  }
}

/** The input hash of a dataset row. */
export function datasetRowHash(row: unknown): string {
  return hashOf("row", canonicalJson(row as JsonValue));
}
