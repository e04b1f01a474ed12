// Setting a run up, before its first row: tables, executor, provenance, the run record.
import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import type { ExecutionBackend } from "../execution/contract.js";
import { createExecutor } from "../execution/executor.js";
import { assertRunsTask } from "../execution/map.js";
import { resolveRetry } from "../execution/retry.js";
import type { Task } from "../execution/task.js";
import type { ProjectView } from "./project-view.js";
import { defaultRegistry } from "../registry/registry.js";
import { type JsonValue, type Row, toJsonRow } from "../rows.js";
import type { Dataset, Table } from "../storage/table.js";
import { CANCELS_TABLE } from "./cancel.js";
import { claimsTable } from "./claim-ids.js";
import { collectProvenance } from "./provenance.js";
import type { RunExperimentOptions } from "./run-options.js";
import { DEFAULT_HEARTBEAT_MS, RUNS_TABLE, type RunRecord, runnerProcess } from "./run-record.js";
import { openOrCreateExperiment, packageVersions, redactedExecutorConfig, taskKeyOf } from "./run-setup.js";
import { RowCount } from "./run-total.js";

/** The experiment table (created unless resuming) and the internal tables a run writes. */
async function openTables(project: ProjectView, name: string, resume: boolean): Promise<{ experiment: Table; runs: Table; claims: Table; cancels: Table }> {
  const experiment = (await openOrCreateExperiment(project, name, resume)) as unknown as Table;
  const internal = (table: string): Promise<Table> => project.internalTable("experiment", table);
  const [runs, claims, cancels] = await Promise.all([internal(RUNS_TABLE), internal(claimsTable(experiment.name)), internal(CANCELS_TABLE)]);
  return { experiment, runs, claims, cancels };
}

/** Everything a run needs once it is set up. */
export interface ExperimentRunState<I extends Row> {
  runId: string;
  started: number;
  record: RunRecord;
  dataset: Dataset<I>;
  experiment: Table;
  runs: Table;
  claims: Table;
  cancels: Table;
  executor: ExecutionBackend;
  owned: boolean;
  retry: ReturnType<typeof resolveRetry>;
  /** The dataset's row count for progress totals, when someone listens. */
  count: RowCount | undefined;
}

/** How long a run waits for its row count before it starts (a longer count ends in the background). */
export const COUNT_WAIT_MS = 250;

/**
 * Set a run up: resolve the dataset and executor (a missing module task fails here, before
 * any row), open the tables, collect provenance, and build the first run record.
 */
export async function startRun<I extends Row, O>(project: ProjectView, options: RunExperimentOptions<I, O>): Promise<ExperimentRunState<I>> {
  const started = performance.now();
  const registry = options.registry ?? defaultRegistry();
  const parameters = toJsonRow(options.parameters ?? {}) as { [key: string]: JsonValue };
  const retry = resolveRetry(options.retries);
  // Resolves and hashes a module task's file: a missing module fails here, before any row.
  const taskKey = taskKeyOf(options.task as Task, options, parameters);
  const runId = randomUUID();
  const dataset: Dataset<I> = typeof options.dataset === "string" ? await project.getDataset<I>(options.dataset) : options.dataset;
  const { executor, owned } = await createExecutor(options.execution, options.executionConfig, options.registry);
  const count = options.onProgress || options.onEvent ? new RowCount(dataset as Dataset) : undefined;
  try {
    // Checked before anything is created or run.
    assertRunsTask(executor, options.task as Task);
    // Tables and provenance (a git subprocess, the executor's own description) at once.
    const [{ experiment, runs, claims, cancels }, provenance] = await Promise.all([
      openTables(project, options.experiment, options.resume ?? false),
      redactedExecutorConfig(options.execution, options.executionConfig, registry).then(async (config) =>
        collectProvenance(await packageVersions(registry, [project.storage.name, executor.name]), config, executor),
      ),
    ]);
    const now = new Date().toISOString();
    const record: RunRecord = {
      run_id: runId,
      experiment: experiment.name,
      dataset: dataset.name,
      status: "running",
      task: taskKey.identity,
      task_key: taskKey.key,
      code_hash: taskKey.codeHash,
      task_version: taskKey.taskVersion,
      parameters,
      executor: executor.name,
      concurrency: options.concurrency ?? executor.concurrency ?? null,
      timeout_ms: options.timeout ?? null,
      retries: retry.retries,
      resume: options.resume ?? false,
      started_at: now,
      finished_at: null,
      duration_ms: null,
      heartbeat_at: now,
      heartbeat_ms: options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS,
      host: hostname(),
      pid: process.pid,
      runner: runnerProcess(),
      counts: { total: null, succeeded: 0, failed: 0, skipped: 0, claimed_elsewhere: 0 },
      error: null,
      reason: null,
      metrics: {},
      error_rate: null,
      provenance,
    };
    return { runId, started, record, dataset, experiment, runs, claims, cancels, executor, owned, retry, count };
  } catch (error) {
    count?.stop();
    if (owned) await executor.close().catch(() => undefined);
    throw error;
  }
}
