import { hostname } from "node:os";
import { randomUUID } from "node:crypto";
import { type ExecutionBackend, type Project, type Registry, type RunRecord, UnsupportedError, runnerProcess } from "@themis/core";
import { CancelWatch, type CancelTarget } from "./cancel-watch.js";
import { StageClaims } from "./claims.js";
import type { Pipeline } from "./define.js";
import { PIPELINE_HEARTBEAT_MS, isLive } from "./liveness.js";
import { type StagePostprocessOutcome, outcomesJson } from "./postprocess.js";
import { type PreparedStage, type Selection, loadStageResults, prepareStages } from "./prepare.js";
import { RunRecorder } from "./recorder.js";
import { type PipelineRunRecord, type PipelineRunStatus, type StageRecord, listPipelineRuns, newRecord, runsTable } from "./run-record.js";
import { runStages } from "./run-stages.js";
import { coreRunsTable, stageRunId, stageRunRecord } from "./stage-run-records.js";
import { StageCancels } from "./stage-cancels.js";
import { type StageCounts, emptyCounts } from "./stage-runner.js";

/** Options of {@link runPipeline}. */
export interface RunPipelineOptions extends Selection {
  /** Continue the pipeline's last unfinished run (killed, cancelled) under its run id. Finished rows are reused either way. */
  resume?: boolean;
  /** Registry for executor names. Default: the default registry. */
  registry?: Registry;
  /** Cancels the run: running rows stop, nothing more starts, the run is recorded `cancelled`. */
  signal?: AbortSignal;
  /** Milliseconds between heartbeats of the run's records (other runners judge it dead after four missed beats). Default 2000. */
  heartbeatMs?: number;
  /**
   * @internal Claim blocks per stage (default 1024): tests use a few, to have many rows per
   * block. Every runner of a pipeline must use the same count.
   */
  claimBlocks?: number;
  /** Called when a stage starts and ends. */
  onEvent?: (event: { type: "stage-started" | "stage-ended"; stage: string; counts: StageCounts }) => void;
}

/** What a finished pipeline run reports (also kept in its run record). */
export interface PipelineRunSummary {
  runId: string;
  pipeline: string;
  status: Exclude<PipelineRunStatus, "running">;
  durationMs: number;
  stages: {
    [stage: string]: { experiment: string; mode: "run" | "stored"; counts: StageCounts; runId: string | null; postprocess: StagePostprocessOutcome[] };
  };
  error?: unknown;
}

/**
 * The run's record: a new one, or with `resume` the pipeline's last unfinished run whose
 * runner is gone (a live one is another runner's: this run then starts its own record and
 * shares the rows through claims).
 */
async function startRecord(
  project: Project,
  pipeline: Pipeline,
  stages: readonly PreparedStage[],
  resume: boolean,
  heartbeatMs: number,
): Promise<PipelineRunRecord> {
  const table = await runsTable(project);
  const stageRecords: { [stage: string]: StageRecord } = {};
  const previous = resume ? (await listPipelineRuns(project, pipeline.name)).filter((r) => r.status !== "completed" && !isLive(r)).at(-1) : undefined;
  const runId = previous?._row_id ?? randomUUID();
  for (const s of stages) {
    const running = s.mode === "run";
    stageRecords[s.name] = {
      experiment: s.experiment,
      run_id: running ? stageRunId(runId, s.name) : null,
      mode: s.mode,
      executor: null,
      code_hash: running ? s.codeHash : null,
      status: "pending",
      counts: { ...emptyCounts() },
    };
  }
  if (previous) {
    const now = new Date().toISOString();
    const record: PipelineRunRecord = {
      ...previous,
      status: "running",
      finished_at: null,
      resumed: previous.resumed + 1,
      stages: stageRecords,
      error: null,
      heartbeat_at: now,
      heartbeat_ms: heartbeatMs,
      // Resumed here: another host's readers must not judge this run by the pid of the old one.
      host: hostname(),
      pid: process.pid,
      runner: runnerProcess(),
    };
    await table.update(record._row_id, record);
    return record;
  }
  const record = newRecord(runId, pipeline.name, stageRecords, heartbeatMs);
  await table.append(record);
  return record;
}

/** The records keeper: the pipeline run record, one core run record per computed stage. */
async function startRecorder(
  project: Project,
  pipeline: Pipeline,
  stages: readonly PreparedStage[],
  executors: ReadonlyMap<string, { executor: ExecutionBackend }>,
  counts: ReadonlyMap<string, StageCounts>,
  options: RunPipelineOptions,
  cancels: StageCancels,
): Promise<RunRecorder> {
  const heartbeatMs = options.heartbeatMs ?? PIPELINE_HEARTBEAT_MS;
  const record = await startRecord(project, pipeline, stages, options.resume ?? false, heartbeatMs);
  const stageRuns = new Map<string, RunRecord>();
  for (const s of stages) {
    if (s.mode !== "run") continue;
    const node = pipeline.nodes.get(s.name);
    if (!node) continue;
    stageRuns.set(
      s.name,
      stageRunRecord(s, node.spec, {
        pipeline: pipeline.name,
        pipelineRun: record._row_id,
        upstream: node.upstream.map((e) => e.stage),
        executor: executors.get(s.name)?.executor.name ?? "local",
        resume: options.resume ?? false,
        heartbeatMs,
      }),
    );
  }
  const recorder = new RunRecorder(await runsTable(project), await coreRunsTable(project), record, stageRuns, counts);
  // `themis runs cancel` on a stage run or on the pipeline run: read at each heartbeat.
  const targets = new Map<string, CancelTarget>([[record._row_id, null], ...[...stageRuns].map(([stage, r]) => [r.run_id, stage] as const)]);
  const watch = await CancelWatch.open(project, targets, record.resumed > 0, (target, reason) => cancels.cancel(target, reason));
  await recorder.start(() => watch.check());
  return recorder;
}

/** Create the executors of the stages that run, checking each runs its task's kind of job. */
async function createExecutors(pipeline: Pipeline, stages: readonly PreparedStage[]): Promise<Map<string, { executor: ExecutionBackend; owned: boolean }>> {
  const executors = new Map<string, { executor: ExecutionBackend; owned: boolean }>();
  try {
    for (const s of stages) {
      if (!s.executor) continue;
      const created = await s.executor.create();
      executors.set(s.name, created);
      const task = pipeline.nodes.get(s.name)!.spec.task;
      const kind = typeof task === "function" ? "function" : task.kind;
      if (!created.executor.kinds.includes(kind)) {
        throw new UnsupportedError(
          `stage "${s.name}": executor "${created.executor.name}" does not run ${kind} jobs (it runs: ${created.executor.kinds.join(", ")})`,
          { backend: created.executor.name },
        );
      }
    }
    return executors;
  } catch (error) {
    await closeExecutors(executors);
    throw error;
  }
}

async function closeExecutors(executors: Map<string, { executor: ExecutionBackend; owned: boolean }>): Promise<void> {
  await Promise.allSettled([...executors.values()].filter((e) => e.owned).map((e) => e.executor.close?.()));
}

/**
 * Run a pipeline: every selected stage at once, rows streaming from stage to stage as they
 * finish, each row reused when its cache key (input, upstream keys, code, parameters) is
 * unchanged. A failed row blocks its downstream rows only. Everything is checked before
 * any stage starts (see {@link PipelineDefinitionError}); the run is recorded in
 * `__pipeline_runs`. Resolves with status "failed" when rows failed; throws when the
 * run itself cannot go on (storage errors), after recording it.
 */
export async function runPipeline(project: Project, pipeline: Pipeline, options: RunPipelineOptions = {}): Promise<PipelineRunSummary> {
  const started = performance.now();
  const stages = await prepareStages(project, pipeline, options, options.registry);
  const stored = await loadStageResults(project, stages);
  const executors = await createExecutors(pipeline, stages);
  const counts = new Map(stages.map((s) => [s.name, emptyCounts()]));
  let recorder: RunRecorder;
  const claims = new Map<string, StageClaims>();
  const controller = new AbortController();
  const cancels = new StageCancels(
    pipeline,
    stages.filter((s) => s.mode === "run").map((s) => s.name),
    controller,
  );
  try {
    recorder = await startRecorder(project, pipeline, stages, executors, counts, options, cancels);
    const pipelineRuns = await runsTable(project);
    for (const [i, s] of stages.entries()) {
      const table = stored[i]?.table;
      if (s.mode === "run" && table)
        claims.set(s.name, StageClaims.open(project, pipelineRuns, table, recorder.record._row_id, `${s.codeHash}:${s.paramsHash}`, options.claimBlocks));
    }
  } catch (error) {
    await closeExecutors(executors);
    throw error;
  }
  const record = recorder.record;
  const onAbort = (): void => controller.abort(options.signal?.reason);
  options.signal?.addEventListener("abort", onAbort, { once: true });
  let failure: unknown;
  const fail = (error: unknown): void => {
    failure ??= error;
    controller.abort(error);
  };
  const postprocessed = new Map<string, StagePostprocessOutcome[]>();
  try {
    await runStages(pipeline, stages, stored, executors, {
      project,
      runId: record._row_id,
      claims,
      postprocessed,
      signal: controller.signal,
      signalOf: (stage) => cancels.signalOf(stage),
      counts,
      fail,
      onEvent: options.onEvent,
    });
  } catch (error) {
    fail(error);
  } finally {
    options.signal?.removeEventListener("abort", onAbort);
    await closeExecutors(executors);
  }
  return finish(recorder, pipeline, stages, counts, executors, postprocessed, {
    started,
    failure,
    cancelled: (options.signal?.aborted ?? false) || cancels.runReason !== undefined,
    cancels,
  });
}

/** Record how the run ended and report it; rethrow what stopped it. */
async function finish(
  recorder: RunRecorder,
  pipeline: Pipeline,
  stages: readonly PreparedStage[],
  counts: ReadonlyMap<string, StageCounts>,
  executors: ReadonlyMap<string, { executor: ExecutionBackend }>,
  postprocessed: ReadonlyMap<string, StagePostprocessOutcome[]>,
  end: { started: number; failure: unknown; cancelled: boolean; cancels: StageCancels },
): Promise<PipelineRunSummary> {
  const cancelledStage = (s: PreparedStage): boolean => s.mode === "run" && (end.cancelled || end.cancels.reasons.has(s.name));
  const record = recorder.record;
  const summary: PipelineRunSummary["stages"] = {};
  const stageRecords: { [stage: string]: StageRecord } = {};
  let rowsFailed = false;
  for (const s of stages) {
    const c = counts.get(s.name) ?? emptyCounts();
    const outcomes = postprocessed.get(s.name) ?? [];
    const bad = c.failed + c.blocked + c.unmatched > 0 || outcomes.some((o) => "error" in o);
    rowsFailed ||= bad && s.mode === "run";
    const previous = record.stages[s.name];
    summary[s.name] = { experiment: s.experiment, mode: s.mode, counts: c, runId: previous?.run_id ?? null, postprocess: outcomes };
    stageRecords[s.name] = {
      experiment: s.experiment,
      run_id: previous?.run_id ?? null,
      mode: s.mode,
      code_hash: previous?.code_hash ?? null,
      executor: executors.get(s.name)?.executor.name ?? null,
      status: cancelledStage(s) ? "cancelled" : bad ? "failed" : "completed",
      counts: { ...c },
      ...(outcomes.length > 0 ? { postprocess: outcomesJson(outcomes) } : {}),
    };
  }
  const someCancelled = end.cancelled || end.cancels.reasons.size > 0;
  const status: PipelineRunSummary["status"] = someCancelled ? "cancelled" : end.failure !== undefined || rowsFailed ? "failed" : "completed";
  const error =
    end.failure === undefined
      ? null
      : { code: (end.failure as { code?: string }).code ?? null, message: String((end.failure as Error).message ?? end.failure) };
  const finished: PipelineRunRecord = { ...record, status, finished_at: new Date().toISOString(), stages: stageRecords, error };
  const reason = error?.message ?? (end.cancelled ? (end.cancels.runReason ?? "cancelled") : null);
  await recorder.finish(finished, (stage) => {
    const own = stageRecords[stage]?.status;
    return {
      status: own === "cancelled" ? "cancelled" : own === "failed" || end.failure !== undefined ? "failed" : "completed",
      reason: end.cancels.reasonOf(stage) ?? reason,
    };
  });
  if (end.failure !== undefined && !end.cancelled) throw end.failure;
  return { runId: record._row_id, pipeline: pipeline.name, status, durationMs: performance.now() - end.started, stages: summary };
}
