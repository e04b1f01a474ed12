import type { ExecutionSpec } from "../execution/executor.js";
import type { RetryOptions } from "../execution/retry.js";
import type { Task } from "../execution/task.js";
import type { Registry } from "../registry/registry.js";
import type { JsonValue, Row, StoredRow } from "../rows.js";
import type { Dataset } from "../storage/table.js";
import type { MetricSummary } from "./metrics.js";
import type { ExperimentProgress, RunEvent } from "./run-events.js";
import type { RunStatus } from "./run-record.js";

/** Options of {@link runExperiment} / `project.runExperiment`. */
export interface RunExperimentOptions<I extends Row = Row, O = unknown> {
  /** The dataset (name or table) whose rows are the inputs. */
  dataset: string | Dataset<I>;
  /** The experiment table results go to: created when missing. */
  experiment: string;
  /**
   * What runs for each dataset row (the stored row, `_row_id` included): a function, a
   * module task or a command task. A task may return `{ output, scores: { name: number |
   * boolean } }`: the scores go to the result's `scores` column and the run's metrics.
   */
  task: Task<StoredRow<I>, O>;
  /** Executor name, definition or instance. Default: the themis config's `execution:`, else "local". */
  execution?: ExecutionSpec;
  /** Config for the executor when created from a name. */
  executionConfig?: Record<string, unknown>;
  /** Jobs at once. Default: the executor's. */
  concurrency?: number;
  /** Per-job timeout in ms. */
  timeout?: number;
  retries?: number | RetryOptions;
  signal?: AbortSignal;
  /**
   * Parameters of the run (model, prompt version, temperature...): recorded with the run
   * and part of the resume key, so results computed with other parameters are not reused.
   */
  parameters?: { [key: string]: JsonValue };
  /**
   * Identity of the task for the resume key. Default: derived from the task (the module
   * and export, or a hash of the function's source). Set it ("score@v3") when the source
   * text is not a good identity, e.g. a closure whose behaviour depends on captured values.
   */
  taskId?: string;
  /**
   * Pin the task's code by hand: this version replaces the sha256 of the module file in the
   * resume key, so edits keep earlier results until you change the version.
   */
  taskVersion?: string;
  /**
   * Continue an existing experiment: rows that already have a successful result with the
   * same resume key are skipped; rows whose earlier attempt failed run again and their
   * error row is replaced. Without `resume`, an existing experiment is an AlreadyExistsError.
   */
  resume?: boolean;
  /** Store each input row (without its id) in the result row's `input` field. Default: true. */
  storeInput?: boolean;
  /**
   * Stop the run (status failed) when the first this-many finished rows all fail with the
   * same non-retryable error. A missing export stops it at the first row. 0: never. Default: 5.
   */
  failFast?: number;
  /** Milliseconds between heartbeats (and cancel-request checks). Default: 5000. */
  heartbeatMs?: number;
  /**
   * Milliseconds the storage may stay unreachable (no heartbeat gets through) before the run
   * stops with an UnavailableError. A write hanging for 2 s is reported at once as a
   * `storage-error` event. A result write that is only slow (heartbeats still acknowledged
   * meanwhile) does not stop the run. Default: 60 000.
   */
  storageDeadlineMs?: number;
  /** Milliseconds between progress events sent to `onEvent`. Default: 1000. */
  progressIntervalMs?: number;
  onProgress?: (progress: ExperimentProgress) => void;
  /** Run events: started, code changed, throttled progress, row failed, storage error, ended. */
  onEvent?: (event: RunEvent) => void;
  /** Registry for executor names and package versions. Default: the default registry. */
  registry?: Registry;
}

/** What a finished run reports (also stored in the run record). */
export interface ExperimentRunSummary {
  runId: string;
  experiment: string;
  dataset: string;
  status: Exclude<RunStatus, "running">;
  /** Dataset rows seen (skipped included). */
  total: number;
  succeeded: number;
  failed: number;
  /** Rows done earlier (resume) or by another runner meanwhile. */
  skipped: number;
  durationMs: number;
  /** Rows finished per second in this run. */
  ratePerSecond: number;
  /** Per-metric summary of the scores the task returned. */
  metrics: { [metric: string]: MetricSummary };
  /** Why the run did not complete (cancel reason, fail-fast verdict, error). */
  reason: string | null;
  /** The error that ended a failed run. */
  error?: unknown;
}

/** Default of `storageDeadlineMs`. */
export const DEFAULT_STORAGE_DEADLINE_MS = 60_000;
