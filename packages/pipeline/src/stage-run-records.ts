import { hostname } from "node:os";
import { type JsonValue, type Project, type RunRecord, type RunStatus, type Table, runnerProcess } from "@themis/core";
import type { PreparedStage } from "./prepare.js";
import type { Stage } from "./stage.js";
import type { StageCounts } from "./stage-runner.js";

/** The id of a stage's run in core's `__runs`: one per (pipeline run, stage), so a resumed pipeline run continues it. */
export function stageRunId(pipelineRunId: string, stage: string): string {
  return `${pipelineRunId}.${stage.replace(/[^A-Za-z0-9_-]/g, "_")}`;
}

function taskLabel(spec: Stage): string {
  const task = spec.task;
  if (typeof task === "function") return `function ${task.name || "(anonymous)"}`;
  if (task.kind === "module") return `module ${task.module}#${task.export ?? "default"}`;
  if (task.kind === "function") return `function ${task.id ?? (task.fn.name || "(anonymous)")}`;
  return `command ${task.id ?? "(builder)"}`;
}

/** What a stage reads: its dataset, or its upstream stages. */
function sourceLabel(spec: Stage, upstream: readonly string[]): string {
  return spec.dataset ?? `stages: ${upstream.join(", ")}`;
}

/**
 * A stage's run as a core run record, so `themis runs list | show` shows pipeline stages
 * beside experiment runs. Counts map onto core's: computed rows are `succeeded`, reused
 * ones `skipped`, rows another runner did `claimed_elsewhere`. `pipeline` and
 * `pipeline_run` link back to the pipeline run.
 */
export function stageRunRecord(
  s: PreparedStage,
  spec: Stage,
  ids: { pipeline: string; pipelineRun: string; upstream: readonly string[]; executor: string; resume: boolean; heartbeatMs: number },
): RunRecord {
  const now = new Date().toISOString();
  const parameters = (spec.parameters ?? {}) as { [key: string]: JsonValue };
  return {
    _row_id: stageRunId(ids.pipelineRun, s.name),
    run_id: stageRunId(ids.pipelineRun, s.name),
    experiment: s.experiment,
    dataset: sourceLabel(spec, ids.upstream),
    status: "running",
    task: taskLabel(spec),
    task_key: `${s.codeHash}:${s.paramsHash}`,
    code_hash: spec.taskVersion === undefined ? s.codeHash : null,
    task_version: spec.taskVersion ?? null,
    parameters,
    executor: ids.executor,
    concurrency: spec.concurrency ?? null,
    timeout_ms: spec.timeout ?? null,
    retries: typeof spec.retries === "number" ? spec.retries : (spec.retries?.retries ?? 0),
    resume: ids.resume,
    started_at: now,
    finished_at: null,
    duration_ms: null,
    heartbeat_at: now,
    heartbeat_ms: ids.heartbeatMs,
    host: hostname(),
    pid: process.pid,
    runner: runnerProcess(),
    counts: { total: null, succeeded: 0, failed: 0, skipped: 0, claimed_elsewhere: 0 },
    error: null,
    metrics: {},
    error_rate: null,
    reason: null,
    provenance: {
      node: process.version,
      platform: process.platform,
      arch: process.arch,
      packages: {},
      gitCommit: null,
      gitDirty: null,
      host: hostname(),
      cwd: process.cwd(),
      executorConfig: null,
      executorInfo: null,
    },
    pipeline: ids.pipeline,
    pipeline_run: ids.pipelineRun,
    stage: s.name,
  };
}

/** The record's counts and state from the stage's counts. */
export function updateStageRun(record: RunRecord, c: StageCounts, end?: { status: RunStatus; reason: string | null }): RunRecord {
  const finished = c.computed + c.failed;
  const next: RunRecord = {
    ...record,
    heartbeat_at: new Date().toISOString(),
    counts: {
      total: end ? c.total : null,
      succeeded: c.computed,
      failed: c.failed,
      skipped: c.cached + c.blocked + c.unmatched,
      claimed_elsewhere: c.elsewhere,
    },
    error_rate: finished > 0 ? c.failed / finished : null,
  };
  if (!end) return next;
  const finishedAt = new Date();
  return {
    ...next,
    status: end.status,
    reason: end.reason,
    finished_at: finishedAt.toISOString(),
    duration_ms: finishedAt.getTime() - Date.parse(record.started_at),
  };
}

/** Core's run records table (its RUNS_TABLE, which core does not export; `listRuns` reads it). */
const RUNS_TABLE = "__runs";

/** Core's `__runs` table. */
export function coreRunsTable(project: Project): Promise<Table<RunRecord>> {
  return project.internalTable("experiment", RUNS_TABLE) as Promise<Table<RunRecord>>;
}
