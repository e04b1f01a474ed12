import { hasErrorCode } from "../errors.js";
import type { JobError } from "../execution/contract.js";
import { toJobError } from "../execution/errors.js";
import { map } from "../execution/map.js";
import type { Task } from "../execution/task.js";
import type { ProjectView } from "./project-view.js";
import { ROW_ID, type Row, type StoredRow } from "../rows.js";
import { BlockReleases } from "./block-release.js";
import { BlockClaims, claimHolders } from "./claims.js";
import { executionRunKey } from "./execution-run-key.js";
import { DEFAULT_FAIL_FAST, FailFast } from "./fail-fast.js";
import { MetricsCollector, type Scores } from "./metrics.js";
import { resultRow } from "./result-row.js";
import { ResultWriter } from "./result-writer.js";
import { type RunEvent, emitter } from "./run-events.js";
import { type Lease, RunHeartbeat } from "./run-heartbeat.js";
import { claimedRows, mapInput } from "./run-inputs.js";
import { DEFAULT_STORAGE_DEADLINE_MS, type ExperimentRunSummary, type RunExperimentOptions } from "./run-options.js";
import { type Counters, progressReporter } from "./run-progress.js";
import { announceRun } from "./run-announce.js";
import { type RunStatus, errorJson } from "./run-record.js";
import { type ExperimentRunState, startRun } from "./run-start.js";
import { type Stop, bounded, newStop, stopRun } from "./run-stop.js";

export type { ExperimentProgress, RunEvent } from "./run-events.js";
export { DEFAULT_STORAGE_DEADLINE_MS, type ExperimentRunSummary, type RunExperimentOptions } from "./run-options.js";

/**
 * Stream a dataset's rows through an executor into an experiment table: the Themis
 * `evaluate()` loop over any storage and any executor.
 *
 * - Results are appended in batches (a result waits at most 10 ms for others) and a row
 *   counts as done (counters, metrics, progress) only once its result is stored: a crash
 *   loses only uncounted rows, which a resume redoes. A failing row becomes an error row
 *   (`status: "error"`, `error` with name, message, code), never dropped. Result rows have
 *   one id per (dataset row, resume key).
 * - A run record (status running, then completed / failed / cancelled with a `reason`;
 *   parameters, timing, counts, metrics, provenance, a heartbeat every `heartbeatMs`) is
 *   kept in the project's internal `__runs` table. See `runState` for "stale".
 * - Rows are claimed before they run, by blocks of 64 dataset rows, so several runners on
 *   one experiment (`resume`) split the work and each row gets one result; blocks of a stale
 *   runner are taken over, and only their rows without a result run again.
 * - With `resume`, rows already done with the same task, code and parameters are skipped.
 * - Cancelling through `signal` or `requestCancel` stops running jobs and ends with status
 *   "cancelled"; rows cancelled mid-way are not stored, so a resumed run does them.
 *
 * @example
 * ```ts
 * const summary = await project.runExperiment({
 *   dataset: "qa", experiment: "qa-baseline",
 *   task: async (row) => ({ answer: await model(row.question) }),
 *   concurrency: 8, resume: true,
 * });
 * console.log(summary.succeeded, summary.failed, summary.skipped);
 * ```
 */
export async function runExperiment<I extends Row = Row, O = unknown>(
  project: ProjectView,
  options: RunExperimentOptions<I, O>,
): Promise<ExperimentRunSummary> {
  const ctx = await startRun(project, options);
  const emit = emitter(options.onEvent);
  const c: Counters = { succeeded: 0, failed: 0, skipped: 0, claimedElsewhere: 0, running: 0, total: undefined };
  const metrics = new MetricsCollector();
  const stop = newStop();
  const onAbort = (): void => stopRun(stop, "cancelled", "cancelled by the caller (signal)");
  if (options.signal?.aborted) onAbort();
  options.signal?.addEventListener("abort", onAbort, { once: true });
  const loop: Loop = { c, metrics, stop, emit, writingSince: () => undefined };
  const deadlineMs = options.storageDeadlineMs ?? DEFAULT_STORAGE_DEADLINE_MS;
  const heartbeat = new RunHeartbeat(
    ctx.runs,
    ctx.cancels,
    ctx.record,
    { intervalMs: ctx.record.heartbeat_ms, deadlineMs },
    {
      counts: () => ({ total: c.total ?? null, succeeded: c.succeeded, failed: c.failed, skipped: c.skipped, claimed_elsewhere: c.claimedElsewhere }),
      onCancel: (request) => {
        emit({ type: "cancel-requested", runId: ctx.runId, reason: request.reason });
        stopRun(stop, "cancelled", request.reason);
      },
      onError: (error) => emit({ type: "storage-error", runId: ctx.runId, message: error instanceof Error ? error.message : String(error) }),
      writingSince: () => loop.writingSince(),
      onDeadline: (error) => {
        stopRun(stop, "failed", error.message, error);
        stop.giveUp(error);
      },
    },
  );
  let runError: unknown;
  try {
    await heartbeat.start();
    await executeRows(project, options, ctx, loop, heartbeat);
  } catch (error) {
    runError = error;
  } finally {
    options.signal?.removeEventListener("abort", onAbort);
    ctx.count?.stop();
    if (ctx.owned) await ctx.executor.close().catch(() => undefined);
  }
  return finishRun(ctx, heartbeat, loop, runError);
}

/** What the row loop shares with the run. */
interface Loop {
  c: Counters;
  metrics: MetricsCollector;
  stop: Stop;
  emit: (event: RunEvent) => void;
  /** Since when the result write under way has been waiting (set once the writer exists). */
  writingSince: () => number | undefined;
}

async function executeRows<I extends Row, O>(
  project: ProjectView,
  options: RunExperimentOptions<I, O>,
  ctx: ExperimentRunState<I>,
  loop: Loop,
  lease: Lease,
): Promise<void> {
  const { c, stop, emit } = loop;
  const key = ctx.record.task_key;
  const resume = ctx.record.resume;
  const { previous, earlierRuns } = await announceRun(project, options, ctx, loop.c, loop.emit);
  const progress = progressReporter(ctx, options, c);
  const claims = new BlockClaims(ctx.claims, ctx.runs, ctx.experiment, {
    runId: ctx.runId,
    experiment: ctx.record.experiment,
    key,
    failedBefore: previous.errorRuns,
  });
  const releases = new BlockReleases(ctx.claims, { runId: ctx.runId, experiment: ctx.record.experiment, key });
  if (resume) await claims.preload(await claimHolders(ctx.claims, ctx.record.experiment, key, previous.done));
  const hooks = {
    onSkipped: () => {
      c.skipped++;
      progress();
    },
    onClaimedElsewhere: () => {
      c.claimedElsewhere++;
      progress();
    },
    onDatasetRead: (rows: number) => {
      c.total ??= rows;
    },
  };
  const rows = claimedRows(
    ctx.dataset,
    { done: previous.done, claims, releases, pollMs: Math.min(ctx.record.heartbeat_ms, 1000), lease, signal: stop.controller.signal },
    hooks,
  );
  const { items: inputs, started: inFlight } = mapInput(rows, () => void c.running++);
  const writer = new ResultWriter(ctx.experiment, previous.errorRows);
  loop.writingSince = () => writer.writingSince;
  const failFast = new FailFast(options.failFast ?? DEFAULT_FAIL_FAST);
  const mapOptions = {
    executor: ctx.executor,
    runKey: executionRunKey(ctx.record.experiment, key, earlierRuns, previous.errorRuns),
    retries: ctx.retry,
    signal: stop.controller.signal,
    ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
    ...(options.timeout === undefined ? {} : { timeout: options.timeout }),
  };
  for await (const outcome of map(options.task as Task<StoredRow<I>, O>, inputs, mapOptions)) {
    c.running--;
    const { row, block } = inFlight.get(outcome.index)!;
    inFlight.delete(outcome.index);
    if (!outcome.ok && outcome.error.code === "ERR_THEMIS_ABORTED" && stop.controller.signal.aborted) continue;
    const result = resultRow(row, outcome, ctx.runId, key, options.storeInput ?? true);
    // The event gets its own copy: the result row goes to storage as it is, and a backend may keep it.
    if (result.status !== "ok")
      emit({ type: "row-failed", runId: ctx.runId, datasetRowId: row[ROW_ID], error: structuredClone(result.error) as unknown as JobError });
    // A row counts (counters, metrics, progress) once its result is stored.
    writer.add(result, () => {
      releases.stored(block);
      if (result.status === "ok") c.succeeded++;
      else c.failed++;
      if (result.scores) loop.metrics.add(result.scores as Scores);
      progress();
    });
    const verdict = failFast.observe(outcome.ok ? undefined : outcome.error);
    if (verdict) stopRun(stop, "failed", verdict.message, verdict);
    // The store is slower than the executor: wait for it rather than pile up results.
    if (writer.backlog >= 1024) await bounded(stop, writer.settle());
  }
  await bounded(stop, writer.flush());
  await bounded(stop, releases.settle());
  progress(true);
}

async function finishRun<I extends Row>(ctx: ExperimentRunState<I>, heartbeat: RunHeartbeat, loop: Loop, runError: unknown): Promise<ExperimentRunSummary> {
  const { c, stop } = loop;
  const durationMs = performance.now() - ctx.started;
  const finished = c.succeeded + c.failed;
  let status: Exclude<RunStatus, "running"> = "completed";
  let error = runError;
  if (stop.status === "failed") {
    status = "failed";
    error = stop.error;
  } else if (stop.status === "cancelled" && (runError === undefined || hasErrorCode(runError, "ERR_THEMIS_ABORTED"))) status = "cancelled";
  else if (runError !== undefined) status = "failed";
  const reason = status === "completed" ? null : (stop.reason ?? (error instanceof Error ? error.message : String(error)));
  const counts = {
    total: c.total ?? finished + c.skipped + c.claimedElsewhere,
    succeeded: c.succeeded,
    failed: c.failed,
    skipped: c.skipped,
    claimed_elsewhere: c.claimedElsewhere,
  };
  const metrics = loop.metrics.summary();
  try {
    await bounded(
      stop,
      heartbeat.finish({
        status,
        finished_at: new Date().toISOString(),
        duration_ms: Math.round(durationMs),
        counts,
        metrics,
        error_rate: finished > 0 ? c.failed / finished : null,
        error: status === "failed" ? errorJson(toJobError(error)) : null,
        reason,
      }),
    );
  } catch (writeError) {
    if (error === undefined) throw writeError;
  }
  loop.emit({
    type: "run-ended",
    runId: ctx.runId,
    status,
    succeeded: c.succeeded,
    failed: c.failed,
    skipped: c.skipped + c.claimedElsewhere,
    durationMs,
    reason,
  });
  if (status === "failed") throw error;
  if (status === "cancelled" && runError !== undefined && !hasErrorCode(runError, "ERR_THEMIS_ABORTED")) throw runError;
  return {
    runId: ctx.runId,
    experiment: ctx.record.experiment,
    dataset: ctx.record.dataset,
    status,
    total: counts.total,
    succeeded: c.succeeded,
    failed: c.failed,
    skipped: c.skipped + c.claimedElsewhere,
    durationMs,
    ratePerSecond: durationMs > 0 ? (finished * 1000) / durationMs : 0,
    metrics,
    reason,
  };
}
