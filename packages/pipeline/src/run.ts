import { randomUUID } from "node:crypto";
import { type ExecutionBackend, type Project, type Registry, UnsupportedError } from "@themis/core";
import type { Pipeline } from "./define.js";
import { type PreparedStage, type Selection, loadStageResults, prepareStages } from "./prepare.js";
import { type PipelineRunRecord, type PipelineRunStatus, type StageRecord, listPipelineRuns, newRecord, runsTable } from "./run-record.js";
import { runStages } from "./run-stages.js";
import { type StageCounts, emptyCounts } from "./stage-runner.js";

/** Options of {@link runPipeline}. */
export interface RunPipelineOptions extends Selection {
  /** Continue the pipeline's last unfinished run (killed, cancelled) under its run id. Finished rows are reused either way. */
  resume?: boolean;
  /** Registry for executor names. Default: the default registry. */
  registry?: Registry;
  /** Cancels the run: running rows stop, nothing more starts, the run is recorded `cancelled`. */
  signal?: AbortSignal;
  /** Called when a stage starts and ends. */
  onEvent?: (event: { type: "stage-started" | "stage-ended"; stage: string; counts: StageCounts }) => void;
}

/** What a finished pipeline run reports (also kept in its run record). */
export interface PipelineRunSummary {
  runId: string;
  pipeline: string;
  status: Exclude<PipelineRunStatus, "running">;
  durationMs: number;
  stages: { [stage: string]: { experiment: string; mode: "run" | "stored"; counts: StageCounts } };
  error?: unknown;
}

async function startRecord(project: Project, pipeline: Pipeline, stages: readonly PreparedStage[], resume: boolean): Promise<PipelineRunRecord> {
  const table = await runsTable(project);
  const stageRecords: { [stage: string]: StageRecord } = {};
  for (const s of stages) stageRecords[s.name] = { experiment: s.experiment, mode: s.mode, executor: null, code_hash: s.mode === "run" ? s.codeHash : null, status: "pending", counts: { ...emptyCounts() } };
  const previous = resume ? (await listPipelineRuns(project, pipeline.name)).filter((r) => r.status !== "completed").at(-1) : undefined;
  if (previous) {
    const record: PipelineRunRecord = { ...previous, status: "running", finished_at: null, resumed: previous.resumed + 1, stages: stageRecords, error: null };
    await table.update(record._row_id, record);
    return record;
  }
  const record = newRecord(randomUUID(), pipeline.name, stageRecords);
  await table.append(record);
  return record;
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
        throw new UnsupportedError(`stage "${s.name}": executor "${created.executor.name}" does not run ${kind} jobs (it runs: ${created.executor.kinds.join(", ")})`, { backend: created.executor.name });
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
  const record = await startRecord(project, pipeline, stages, options.resume ?? false).catch(async (error: unknown) => {
    await closeExecutors(executors);
    throw error;
  });
  const controller = new AbortController();
  const onAbort = (): void => controller.abort(options.signal?.reason);
  options.signal?.addEventListener("abort", onAbort, { once: true });
  let failure: unknown;
  const fail = (error: unknown): void => {
    failure ??= error;
    controller.abort(error);
  };
  const counts = new Map(stages.map((s) => [s.name, emptyCounts()]));
  try {
    await runStages(pipeline, stages, stored, executors, { runId: record._row_id, signal: controller.signal, counts, fail, onEvent: options.onEvent });
  } catch (error) {
    fail(error);
  } finally {
    options.signal?.removeEventListener("abort", onAbort);
    await closeExecutors(executors);
  }
  return finish(project, pipeline, record, stages, counts, executors, { started, failure, cancelled: options.signal?.aborted ?? false });
}

/** Record how the run ended and report it; rethrow what stopped it. */
async function finish(
  project: Project,
  pipeline: Pipeline,
  record: PipelineRunRecord,
  stages: readonly PreparedStage[],
  counts: ReadonlyMap<string, StageCounts>,
  executors: ReadonlyMap<string, { executor: ExecutionBackend }>,
  end: { started: number; failure: unknown; cancelled: boolean },
): Promise<PipelineRunSummary> {
  const summary: PipelineRunSummary["stages"] = {};
  let rowsFailed = false;
  for (const s of stages) {
    const c = counts.get(s.name)!;
    const bad = c.failed + c.blocked + c.unmatched > 0;
    rowsFailed ||= bad && s.mode === "run";
    summary[s.name] = { experiment: s.experiment, mode: s.mode, counts: c };
    record.stages[s.name] = { ...record.stages[s.name]!, executor: executors.get(s.name)?.executor.name ?? null, status: bad ? "failed" : "completed", counts: { ...c } };
  }
  const status: PipelineRunSummary["status"] = end.cancelled ? "cancelled" : end.failure !== undefined || rowsFailed ? "failed" : "completed";
  const finished: PipelineRunRecord = {
    ...record,
    status,
    finished_at: new Date().toISOString(),
    error: end.failure === undefined ? null : { code: (end.failure as { code?: string }).code ?? null, message: String((end.failure as Error).message ?? end.failure) },
  };
  await (await runsTable(project)).update(finished._row_id, finished);
  if (end.failure !== undefined && !end.cancelled) throw end.failure;
  return { runId: record._row_id, pipeline: pipeline.name, status, durationMs: performance.now() - end.started, stages: summary };
}
