import { hostname } from "node:os";
import { type JsonValue, type Project, type Row, type RunnerProcess, type Table, runnerProcess } from "@themis/core";

/** The internal table pipeline runs are recorded in. */
export const PIPELINE_RUNS_TABLE = "__pipeline_runs";

export type PipelineRunStatus = "running" | "completed" | "failed" | "cancelled";

/** One stage of a recorded pipeline run: where its results are and what happened to its rows. */
export interface StageRecord {
  [key: string]: JsonValue;
  experiment: string;
  /** The stage's run in core's `__runs` (what `themis runs` lists), null for a stored stage. */
  run_id: string | null;
  /** "run": computed what changed; "stored": read from storage (not selected by only/from). */
  mode: "run" | "stored";
  executor: string | null;
  code_hash: string | null;
  status: "pending" | "running" | "completed" | "failed" | "cancelled";
  counts: { [key: string]: number };
}

/** A pipeline run record (one row of `__pipeline_runs`). */
export interface PipelineRunRecord extends Row {
  _row_id: string;
  pipeline: string;
  status: PipelineRunStatus;
  started_at: string;
  finished_at: string | null;
  /** Times the run was continued with `resume`. */
  resumed: number;
  host: string;
  pid: number;
  /** The runner's process (absent in records of versions before it): see core's `runnerGone`. */
  runner: RunnerProcess | null;
  /** Last sign of life (ISO time), written every `heartbeat_ms` while the run runs. */
  heartbeat_at: string;
  heartbeat_ms: number;
  stages: { [stage: string]: StageRecord };
  error: JsonValue;
}

export function runsTable(project: Project): Promise<Table<PipelineRunRecord>> {
  return project.internalTable("experiment", PIPELINE_RUNS_TABLE) as Promise<Table<PipelineRunRecord>>;
}

/** The recorded runs of a pipeline, oldest first. */
export async function listPipelineRuns(project: Project, pipeline?: string): Promise<PipelineRunRecord[]> {
  const table = await runsTable(project);
  const rows = await table.load();
  return rows.filter((r) => pipeline === undefined || r.pipeline === pipeline).sort((a, b) => a.started_at.localeCompare(b.started_at));
}

export function newRecord(runId: string, pipeline: string, stages: { [stage: string]: StageRecord }, heartbeatMs: number): PipelineRunRecord {
  const now = new Date().toISOString();
  return {
    _row_id: runId,
    pipeline,
    status: "running",
    started_at: now,
    finished_at: null,
    resumed: 0,
    host: hostname(),
    pid: process.pid,
    runner: runnerProcess(),
    heartbeat_at: now,
    heartbeat_ms: heartbeatMs,
    stages,
    error: null,
  };
}
