import type { JobError } from "../execution/contract.js";
import type { Project } from "../project.js";
import type { JsonValue, Row } from "../rows.js";
import type { Provenance } from "./provenance.js";

/** Name of the internal table (kind "experiment") holding one record per experiment run. */
export const RUNS_TABLE = "__runs";

/** Lifecycle of a run. A record left "running" belongs to a run that crashed or still runs. */
export type RunStatus = "running" | "completed" | "failed" | "cancelled";

/** Counters of a run. */
export interface RunCounts {
  [key: string]: number | null;
  /** Dataset rows in the run (known when counted; null otherwise). */
  total: number | null;
  /** Rows whose task succeeded in this run. */
  succeeded: number;
  /** Rows whose task failed in this run (stored as error rows). */
  failed: number;
  /** Rows skipped because a previous run already did them (`resume`). */
  skipped: number;
}

/** The record of one run, stored in the project's internal `__runs` table. */
export interface RunRecord extends Row {
  run_id: string;
  experiment: string;
  dataset: string;
  status: RunStatus;
  /** Identity of the task (see `taskIdentity`) and the resume key derived from it and the parameters. */
  task: string;
  task_key: string;
  parameters: { [key: string]: JsonValue };
  executor: string;
  concurrency: number | null;
  timeout_ms: number | null;
  retries: number;
  resume: boolean;
  started_at: string;
  finished_at: string | null;
  duration_ms: number | null;
  counts: RunCounts;
  /** Why the run failed (not per-row failures: those are error rows). */
  error: JsonValue;
  provenance: Provenance;
}

/** Serializes a {@link JobError} (or null) as a JSON value. */
export function errorJson(error: JobError | undefined): JsonValue {
  return error === undefined ? null : (JSON.parse(JSON.stringify(error)) as JsonValue);
}

/** The records of every run of a project (newest last), or only those of one experiment. */
export async function listRuns(project: Project, experiment?: string): Promise<RunRecord[]> {
  const runs = await project.internalTable("experiment", RUNS_TABLE);
  const all = (await runs.load()) as unknown as RunRecord[];
  return experiment === undefined ? all : all.filter((r) => r.experiment === experiment);
}

