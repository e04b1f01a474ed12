import type { JobError } from "../execution/contract.js";
import type { ProjectView } from "./project-view.js";
import { NotFoundError } from "../errors.js";
import type { JsonValue, Row } from "../rows.js";
import { type ProcessIdentity, currentProcess, processRunning } from "../backend/process-identity.js";
import type { MetricSummary } from "./metrics.js";
import type { Provenance } from "./provenance.js";

/** Name of the internal table (kind "experiment") holding one record per experiment run. */
export const RUNS_TABLE = "__runs";

/** Lifecycle of a run as stored. A record left "running" belongs to a run that still runs or died (see {@link runState}). */
export type RunStatus = "running" | "completed" | "failed" | "cancelled";

/** What a run is now: its stored status, or "stale" for a "running" run whose heartbeat stopped. */
export type RunState = RunStatus | "stale";

/** Default milliseconds between heartbeats of a running run. */
export const DEFAULT_HEARTBEAT_MS = 5000;

/** A running run is stale when its last heartbeat is older than this many heartbeat intervals. */
export const STALE_AFTER_BEATS = 4;

/**
 * The process a run runs in, as {@link ProcessIdentity} (JSON: nulls where unknown): lets a
 * reader on the same host and pid namespace see at once that a runner is gone (kill -9, a
 * crash) instead of after {@link STALE_AFTER_BEATS} missed heartbeats.
 */
export type RunnerProcess = {
  host: string;
  pid: number;
  boot: string | null;
  start: string | null;
  pidns: string | null;
};

/** This process, as a run record stores it. */
export function runnerProcess(): RunnerProcess {
  const { host, pid, boot, start, pidns } = currentProcess;
  return { host, pid, boot: boot ?? null, start: start ?? null, pidns: pidns ?? null };
}

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
  /** Rows another runner of the same experiment claimed and did (several runners at once). */
  claimed_elsewhere: number;
}

/** The record of one run, stored in the project's internal `__runs` table. */
export interface RunRecord extends Row {
  run_id: string;
  experiment: string;
  dataset: string;
  status: RunStatus;
  /** Identity of the task (see `taskIdentity`) and the resume key derived from it, its code and the parameters. */
  task: string;
  task_key: string;
  /** sha256 of the task's code (the resolved module file for module tasks), or null when the task id stands for it. */
  code_hash: string | null;
  /** The version pinned by hand (`taskVersion`), which replaces the code hash in the resume key. */
  task_version: string | null;
  parameters: { [key: string]: JsonValue };
  executor: string;
  concurrency: number | null;
  timeout_ms: number | null;
  retries: number;
  resume: boolean;
  started_at: string;
  finished_at: string | null;
  duration_ms: number | null;
  /** Last sign of life of the runner (ISO time), written every `heartbeat_ms` while it runs. */
  heartbeat_at: string;
  heartbeat_ms: number;
  host: string;
  pid: number;
  /** The runner's process (missing in records of versions before it, which have only host and pid). */
  runner: RunnerProcess | null;
  counts: RunCounts;
  /** Why the run failed (not per-row failures: those are error rows). */
  error: JsonValue;
  /** Per-metric summary of the scores the task returned (see `splitScores`). */
  metrics: { [metric: string]: MetricSummary };
  /** Failed rows / finished rows of this run (null before any row finished). */
  error_rate: number | null;
  /** Why a run ended other than completed: the cancel reason, the fail-fast verdict, the error message. */
  reason: string | null;
  provenance: Provenance;
}

/** Serializes a {@link JobError} (or null) as a JSON value. */
export function errorJson(error: JobError | undefined): JsonValue {
  return error === undefined ? null : (JSON.parse(JSON.stringify(error)) as JsonValue);
}

/** What {@link runState} and `HeartbeatWatch` read of a run record. */
export type RunLiveness = Pick<RunRecord, "status" | "heartbeat_at" | "heartbeat_ms" | "started_at"> & { runner?: RunnerProcess | null | undefined };

/** Whether the record's runner process is known to be gone: it ran on this host and pid namespace and no longer runs. */
export function runnerGone(record: { runner?: ProcessIdentity | null | undefined }): boolean {
  return record.runner != null && processRunning(record.runner) === false;
}

/**
 * What a run is at time `now` (ms since the epoch): its status, except that a "running"
 * run whose last heartbeat is older than {@link STALE_AFTER_BEATS} intervals is "stale"
 * (its runner was killed, lost its machine or its storage), as is one whose process is
 * known gone from this very host ({@link runnerGone}). For display (`themis runs list`):
 * it compares the runner's wall clock (`heartbeat_at`) with the reader's, so a clock off by
 * a few intervals shows live runs stale or dead ones running. Taking a run's work over is
 * decided by a `HeartbeatWatch` instead, on the reader's own clock.
 */
export function runState(record: RunLiveness, now: number = Date.now()): RunState {
  if (record.status !== "running") return record.status;
  if (runnerGone(record)) return "stale";
  const beat = Date.parse(record.heartbeat_at ?? record.started_at);
  const interval = typeof record.heartbeat_ms === "number" && record.heartbeat_ms > 0 ? record.heartbeat_ms : DEFAULT_HEARTBEAT_MS;
  return Number.isFinite(beat) && now - beat > STALE_AFTER_BEATS * interval ? "stale" : "running";
}

/** The records of every run of a project (oldest first), or only those of one experiment. */
export async function listRuns(project: ProjectView, experiment?: string): Promise<RunRecord[]> {
  const runs = await project.internalTable("experiment", RUNS_TABLE);
  const all = (await runs.load()) as unknown as RunRecord[];
  return experiment === undefined ? all : all.filter((r) => r.experiment === experiment);
}

/** The record of one run. NotFoundError when the project has no run with that id. */
export async function getRun(project: ProjectView, runId: string): Promise<RunRecord> {
  const runs = await project.internalTable("experiment", RUNS_TABLE);
  try {
    return (await runs.get(runId)) as unknown as RunRecord;
  } catch (error) {
    if ((error as { code?: string }).code === "ERR_THEMIS_NOT_FOUND")
      throw new NotFoundError(`no run with id "${runId}"`, { backend: project.storage.name, cause: error });
    throw error;
  }
}
