import { randomUUID } from "node:crypto";
import { AlreadyExistsError, hasErrorCode } from "../errors.js";
import type { ExecutionBackend } from "../execution/contract.js";
import { toJobError } from "../execution/errors.js";
import { type ExecutionSpec, createExecutor } from "../execution/executor.js";
import { assertRunsTask, map } from "../execution/map.js";
import { type RetryOptions, resolveRetry } from "../execution/retry.js";
import { type Task, taskIdentity } from "../execution/task.js";
import type { Project } from "../project.js";
import { type Registry, defaultRegistry } from "../registry/registry.js";
import { type JsonValue, ROW_ID, type Row, type StoredRow, toJsonRow } from "../rows.js";
import type { Dataset, Experiment, Table } from "../storage/table.js";
import { type Provenance, collectProvenance } from "./provenance.js";
import { resumeKey } from "./resume-key.js";
import { resultRow } from "./result-row.js";
import { ResultWriter } from "./result-writer.js";
import { RUNS_TABLE, type RunRecord, type RunStatus, errorJson } from "./run-record.js";

/** Progress of an experiment run, reported after every finished (or skipped) row. */
export interface ExperimentProgress {
  readonly runId: string;
  /** Rows finished in this run (succeeded + failed). */
  readonly done: number;
  readonly succeeded: number;
  readonly failed: number;
  /** Rows skipped because an earlier run did them (`resume`). */
  readonly skipped: number;
  /** Rows in the dataset, when counted (always when `onProgress` is given). */
  readonly total: number | undefined;
  readonly running: number;
  readonly elapsedMs: number;
  /** Rows finished per second in this run. */
  readonly ratePerSecond: number;
}

/** Options of {@link runExperiment} / `project.runExperiment`. */
export interface RunExperimentOptions<I extends Row = Row, O = unknown> {
  /** The dataset (name or table) whose rows are the inputs. */
  dataset: string | Dataset<I>;
  /** The experiment table results go to: created when missing. */
  experiment: string;
  /**
   * What runs for each dataset row (the stored row, `_row_id` included): a function, a
   * module task or a command task.
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
   * Continue an existing experiment: rows that already have a successful result with the
   * same resume key are skipped; rows whose earlier attempt failed run again and their
   * error row is replaced. Without `resume`, an existing experiment is an AlreadyExistsError.
   */
  resume?: boolean;
  /** Store each input row (without its id) in the result row's `input` field. Default: true. */
  storeInput?: boolean;
  onProgress?: (progress: ExperimentProgress) => void;
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
  skipped: number;
  durationMs: number;
  /** Rows finished per second in this run. */
  ratePerSecond: number;
  /** The error that ended a failed run. */
  error?: unknown;
}

async function openOrCreateExperiment(project: Project, name: string, resume: boolean): Promise<Experiment> {
  try {
    await project.createExperiment(name);
  } catch (error) {
    if (!hasErrorCode(error, "ERR_THEMIS_ALREADY_EXISTS")) throw error;
    if (!resume) {
      throw new AlreadyExistsError(`experiment "${name}" exists: pass resume: true to continue it, or choose another name`, {
        backend: project.storage.name,
        cause: error,
      });
    }
  }
  return project.getExperiment(name);
}

async function packageVersions(registry: Registry, names: readonly string[]): Promise<Record<string, string>> {
  try {
    const out: Record<string, string> = {};
    for (const info of await registry.list()) {
      if (names.includes(info.name) && info.package && info.version) out[info.package] = info.version;
    }
    return out;
  } catch {
    return {};
  }
}

/**
 * Stream a dataset's rows through an executor into an experiment table: the Themis
 * `evaluate()` loop over any storage and any executor.
 *
 * - Each result is appended as it completes (a crash keeps every finished row); a failing
 *   row becomes an error row (`status: "error"`, `error` with name, message, code), never
 *   dropped.
 * - A run record (status running, then completed / failed / cancelled; parameters,
 *   timing, counts, provenance) is kept in the project's internal `__runs` table.
 * - With `resume`, rows already done with the same task and parameters are skipped.
 * - Cancelling through `signal` stops running jobs and ends with status "cancelled";
 *   rows cancelled mid-way are not stored, so a resumed run does them.
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
export async function runExperiment<I extends Row = Row, O = unknown>(project: Project, options: RunExperimentOptions<I, O>): Promise<ExperimentRunSummary> {
  const started = performance.now();
  const startedAt = new Date().toISOString();
  const registry = options.registry ?? defaultRegistry();
  const resume = options.resume ?? false;
  const parameters = toJsonRow(options.parameters ?? {}) as { [key: string]: JsonValue };
  const retry = resolveRetry(options.retries);
  const identity = options.taskId !== undefined ? `id:${options.taskId}` : taskIdentity(options.task as Task);
  const key = resumeKey(identity, parameters);
  const runId = randomUUID();

  const dataset: Dataset<I> = typeof options.dataset === "string" ? await project.getDataset<I>(options.dataset) : options.dataset;
  const { executor, owned } = await createExecutor(options.execution, options.executionConfig, options.registry);
  let experiment: Experiment;
  let runs: Table;
  let provenance: Provenance;
  try {
    // Checked before anything is created or run.
    assertRunsTask(executor, options.task as Task);
    experiment = await openOrCreateExperiment(project, options.experiment, resume);
    runs = await project.internalTable("experiment", RUNS_TABLE);
    provenance = await collectProvenance(await packageVersions(registry, [project.storage.name, executor.name]));
  } catch (error) {
    if (owned) await executor.close().catch(() => undefined);
    throw error;
  }
  const record: RunRecord = {
    run_id: runId,
    experiment: experiment.name,
    dataset: dataset.name,
    status: "running",
    task: identity,
    task_key: key,
    parameters,
    executor: executor.name,
    concurrency: options.concurrency ?? executor.concurrency ?? null,
    timeout_ms: options.timeout ?? null,
    retries: retry.retries,
    resume,
    started_at: startedAt,
    finished_at: null,
    duration_ms: null,
    counts: { total: null, succeeded: 0, failed: 0, skipped: 0 },
    error: null,
    provenance,
  };

  let succeeded = 0;
  let failed = 0;
  let skipped = 0;
  let running = 0;
  let total: number | undefined;
  let status: Exclude<RunStatus, "running"> = "completed";
  let runError: unknown;

  try {
    await runs.append({ ...record, [ROW_ID]: runId });

    // What earlier runs did with this key: successes are skipped, failures are redone.
    const done = new Set<string>();
    const failedBefore = new Map<string, string>();
    if (resume) {
      for await (const row of experiment.entries()) {
        if (row.task_key !== key || typeof row.dataset_row_id !== "string") continue;
        if (row.status === "ok") {
          done.add(row.dataset_row_id);
          failedBefore.delete(row.dataset_row_id);
        } else if (!done.has(row.dataset_row_id)) failedBefore.set(row.dataset_row_id, row[ROW_ID]);
      }
    }
    if (options.onProgress) {
      let n = 0;
      for await (const _ of dataset.entries()) n++;
      total = n;
    }

    const progress = (): void => {
      if (!options.onProgress) return;
      const elapsedMs = performance.now() - started;
      const finished = succeeded + failed;
      try {
        options.onProgress({ runId, done: finished, succeeded, failed, skipped, total, running, elapsedMs, ratePerSecond: elapsedMs > 0 ? (finished * 1000) / elapsedMs : 0 });
      } catch {
        // A progress callback must not break the run.
      }
    };

    // Rows to run, in dataset order; rows done earlier are counted and skipped. `map`
    // numbers items in the order it reads them, so the n-th row yielded has index n.
    const inFlight = new Map<number, StoredRow<I>>();
    const inputs = (async function* (): AsyncGenerator<StoredRow<I>> {
      let index = 0;
      for await (const row of dataset.entries()) {
        if (done.has(row[ROW_ID])) {
          skipped++;
          progress();
          continue;
        }
        inFlight.set(index++, row);
        running++;
        yield row;
      }
    })();

    const writer = new ResultWriter(experiment as unknown as Table, failedBefore);
    const mapOptions = {
      executor: executor as ExecutionBackend,
      retries: retry,
      ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
      ...(options.timeout === undefined ? {} : { timeout: options.timeout }),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    };
    for await (const outcome of map(options.task as Task<StoredRow<I>, O>, inputs, mapOptions)) {
      running--;
      const row = inFlight.get(outcome.index)!;
      inFlight.delete(outcome.index);
      if (!outcome.ok && outcome.error.code === "ERR_THEMIS_ABORTED" && options.signal?.aborted) continue;
      if (outcome.ok) succeeded++;
      else failed++;
      writer.add(resultRow(row, outcome, runId, key, options.storeInput ?? true));
      progress();
      // The store is slower than the executor: wait for it rather than pile up results.
      if (writer.backlog >= 1024) await writer.settle();
    }
    await writer.flush();
    if (options.signal?.aborted) status = "cancelled";
  } catch (error) {
    status = options.signal?.aborted && hasErrorCode(error, "ERR_THEMIS_ABORTED") ? "cancelled" : "failed";
    runError = error;
  } finally {
    if (owned) await executor.close().catch(() => undefined);
  }

  const durationMs = performance.now() - started;
  const finished = succeeded + failed;
  const counts = { total: total ?? succeeded + failed + skipped, succeeded, failed, skipped };
  const final: RunRecord = {
    ...record,
    status,
    finished_at: new Date().toISOString(),
    duration_ms: Math.round(durationMs),
    counts,
    error: runError === undefined ? null : errorJson(toJobError(runError)),
  };
  try {
    await runs.update(runId, final);
  } catch (error) {
    if (runError === undefined) throw error;
  }
  if (status === "failed") throw runError;
  if (status === "cancelled" && runError !== undefined && !hasErrorCode(runError, "ERR_THEMIS_ABORTED")) throw runError;
  return {
    runId,
    experiment: experiment.name,
    dataset: dataset.name,
    status,
    total: counts.total,
    succeeded,
    failed,
    skipped,
    durationMs,
    ratePerSecond: durationMs > 0 ? (finished * 1000) / durationMs : 0,
  };
}
