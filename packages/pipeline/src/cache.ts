import type { Experiment, JsonValue, Project, Row } from "@themis/core";
import { hashOf } from "./hash.js";
import { StageIndex } from "./stage-index.js";

/**
 * A stage's result row: one per (dataset row, cache key), like core's experiment results, so
 * recomputing a row is an append (not a rewrite of the table) and results of earlier code or
 * parameters stay (going back to them reuses them).
 */
export interface StoredResult extends Row {
  /** {@link resultId}(dataset_row_id, cache_key). */
  _row_id: string;
  dataset_row_id: string;
  status: "ok" | "error";
  output: JsonValue;
  error: JsonValue;
  /** hash(input_hash, code_hash, params_hash): the row is reused while it is unchanged. */
  cache_key: string;
  /** The dataset row's hash (root stages) or the upstream rows' cache keys (downstream stages). */
  input_hash: string;
  /**
   * The stage run (in core's `__runs`) that computed it: `themis runs show` counts its errors.
   * `<pipeline run>.<stage>` (see stageRunId): the pipeline run is read from it.
   */
  run_id: string;
  /**
   * `<code_hash>:<params_hash>`, as in the stage run's record: `themis runs compare` joins two
   * stage runs on it, and the code and parameters hashes are read from it.
   */
  task_key: string;
  attempts: number;
  duration_ms: number;
  finished_at: string;
}

/** Columns of results written by earlier versions only: now read from `task_key` and `run_id`. */
interface OldColumns {
  code_hash?: unknown;
  params_hash?: unknown;
  pipeline_run?: unknown;
}

/**
 * What judging a row needs of a stored result: what the stage's index keeps. `output` is
 * there when the result was read from the results table or computed in this run; a result
 * known from the index only has its output read when a downstream row needs it.
 */
export type ResultEntry = Pick<StoredResult, "_row_id" | "dataset_row_id" | "status" | "cache_key" | "input_hash"> & {
  code_hash: string;
  params_hash: string;
  /** The pipeline run that computed it. */
  pipeline_run: string;
  output?: JsonValue;
};

// The last task key and run id split: a run's rows share them, so their parts are split
// once and shared, not sliced (and kept) once per row.
let lastTaskKey = "";
let lastTask: readonly [string, string] = ["", ""];
let lastRunId = "";
let lastPipelineRun = "";

/** `[code_hash, params_hash]` of a task key `<code_hash>:<params_hash>`. */
export function taskOf(taskKey: string): readonly [string, string] {
  if (taskKey !== lastTaskKey) {
    const at = taskKey.indexOf(":");
    lastTask = [taskKey.slice(0, at), taskKey.slice(at + 1)];
    lastTaskKey = taskKey;
  }
  return lastTask;
}

/** The pipeline run of a stage run id `<pipeline run>.<stage>` (a stage's part holds no `.`). */
export function pipelineRunOf(runId: string): string {
  if (runId !== lastRunId) {
    lastPipelineRun = runId.slice(0, runId.lastIndexOf("."));
    lastRunId = runId;
  }
  return lastPipelineRun;
}

/** The pipeline run that computed a stored result (written in the row by older versions). */
export function resultRun(row: Pick<StoredResult, "run_id">): string {
  const old = (row as OldColumns).pipeline_run;
  return typeof old === "string" ? old : pipelineRunOf(row.run_id);
}

/**
 * A result read from storage as an entry too: the code, parameters and pipeline run that
 * rows no longer hold are set on it (in memory only), read from `task_key` and `run_id`.
 */
export function asEntry(row: StoredResult): StoredResult & ResultEntry {
  const entry = row as StoredResult & ResultEntry;
  [entry.code_hash, entry.params_hash] = codeAndParams(row);
  entry.pipeline_run = resultRun(row);
  return entry;
}

/** A stored result's code and parameters hashes: its own columns in old results, else its task key's parts. */
function codeAndParams(row: StoredResult): readonly [string, string] {
  const old = row as OldColumns;
  return typeof old.code_hash === "string" && typeof old.params_hash === "string" ? [old.code_hash, old.params_hash] : taskOf(row.task_key);
}

/** Why a row runs, or that it does not. */
export type RowReason = "cached" | "new" | "input-changed" | "upstream-changed" | "code-changed" | "parameters-changed" | "failed-before";

/** The parts of a row's cache key. */
export interface RowKey {
  readonly inputHash: string;
  readonly codeHash: string;
  readonly paramsHash: string;
  readonly key: string;
}

export function rowKey(inputHash: string, codeHash: string, paramsHash: string): RowKey {
  return { inputHash, codeHash, paramsHash, key: hashOf(inputHash, codeHash, paramsHash) };
}

/**
 * The key of a row: when its latest result was made from the same input, code and
 * parameters, that result's key, without hashing (a cached run judges every row: one sha256
 * less per row and stage); else hashed.
 */
export function keyFor(results: StageResults, datasetRowId: string, inputHash: string, codeHash: string, paramsHash: string): RowKey {
  const latest = results.latest.get(datasetRowId);
  if (latest !== undefined && latest.input_hash === inputHash && latest.code_hash === codeHash && latest.params_hash === paramsHash) {
    return { inputHash, codeHash, paramsHash, key: latest.cache_key };
  }
  return rowKey(inputHash, codeHash, paramsHash);
}

/**
 * The latest result of a row when it is `ok` and was made from this input, code and
 * parameters: the row is reused. Undefined otherwise (then {@link keyFor}, {@link storedFor}
 * and {@link decide} say why it runs). The common case of a cached run, without allocating.
 */
export function reusedResult(results: StageResults, datasetRowId: string, inputHash: string, codeHash: string, paramsHash: string): ResultEntry | undefined {
  const latest = results.latest.get(datasetRowId);
  if (latest === undefined || latest.status !== "ok") return undefined;
  return latest.input_hash === inputHash && latest.code_hash === codeHash && latest.params_hash === paramsHash ? latest : undefined;
}

/** The id of the result of a dataset row under a cache key. */
export function resultId(datasetRowId: string, cacheKey: string): string {
  return hashOf("result", datasetRowId, cacheKey);
}

/**
 * A stage's stored results: the latest one of each dataset row, and the older ones (results
 * of earlier code or parameters) by result id. Kept apart so that the common case, one result
 * per row, costs one map entry per row: loading is most of a cached run's time.
 */
export interface StageResults {
  readonly latest: Map<string, ResultEntry>;
  readonly older: Map<string, ResultEntry>;
}

/**
 * What a run keeps of a result it just stored: its index entry, not its output (a full run
 * of 100 000 rows would otherwise hold every output of every stage until it ends).
 */
export function entryOf(row: StoredResult): ResultEntry {
  const [code, params] = codeAndParams(row);
  return {
    _row_id: row._row_id,
    dataset_row_id: row.dataset_row_id,
    status: row.status,
    cache_key: row.cache_key,
    input_hash: row.input_hash,
    code_hash: code,
    params_hash: params,
    pipeline_run: resultRun(row),
  };
}

/** Make `row` its dataset row's latest result; the one it replaces stays findable by id. */
export function keepLatest(results: StageResults, row: ResultEntry): void {
  const previous = results.latest.get(row.dataset_row_id);
  if (previous !== undefined && previous._row_id !== row._row_id) results.older.set(previous._row_id, previous);
  results.latest.set(row.dataset_row_id, row);
}

/** Whether the stage's experiment holds a row with this result id (then it is updated, not appended). */
export function hasStored(results: StageResults, row: Pick<StoredResult, "_row_id" | "dataset_row_id">): boolean {
  return results.latest.get(row.dataset_row_id)?._row_id === row._row_id || results.older.has(row._row_id);
}

/** The stored result a row is judged by: the one with its key if any, else its latest. */
export function storedFor(results: StageResults, datasetRowId: string, key: RowKey): ResultEntry | undefined {
  const latest = results.latest.get(datasetRowId);
  // The common case (nothing changed) needs no hash: the latest result has the key.
  if (latest === undefined || latest.cache_key === key.key) return latest;
  return results.older.get(resultId(datasetRowId, key.key)) ?? latest;
}

/** Whether a row is reused, and if not, the first reason it is not (input, then code, then parameters). */
export function decide(stored: ResultEntry | undefined, key: RowKey, root: boolean): RowReason {
  if (stored === undefined) return "new";
  if (stored.cache_key === key.key) return stored.status === "ok" ? "cached" : "failed-before";
  if (stored.input_hash !== key.inputHash) return root ? "input-changed" : "upstream-changed";
  if (stored.code_hash !== key.codeHash) return "code-changed";
  return "parameters-changed";
}

/** An opened stage experiment: its table, its results, and its index (when read through one). */
export interface OpenedResults {
  table: Experiment<StoredResult> | undefined;
  results: StageResults;
  index: StageIndex | undefined;
}

/** The experiment of a stage, created when missing and `create` is set. */
async function openTable(project: Project, experiment: string, create: boolean): Promise<Experiment<StoredResult> | undefined> {
  try {
    return await project.getExperiment<StoredResult>(experiment);
  } catch (error) {
    if ((error as { code?: string }).code !== "ERR_THEMIS_NOT_FOUND") throw error;
    if (!create) return undefined;
    return project.createExperiment<StoredResult>(experiment).catch((createError: unknown) => {
      // Another runner of the pipeline created it since: use theirs.
      if ((createError as { code?: string }).code !== "ERR_THEMIS_ALREADY_EXISTS") throw createError;
      return project.getExperiment<StoredResult>(experiment);
    });
  }
}

/** Every stored result, read from the results table itself (append order: the last row of a dataset row is its latest). */
export async function readAllResults(table: Experiment<StoredResult>): Promise<StageResults> {
  const results: StageResults = { latest: new Map(), older: new Map() };
  for await (const row of table.entries()) keepLatest(results, asEntry(row));
  return results;
}

/**
 * A stage's experiment and its stored results by dataset row id (empty when it does not
 * exist yet). With `indexed`, the results are read from the stage's index (see
 * {@link StageIndex}): without outputs, a fraction of the bytes. An index that is missing
 * (results of an older version), stale or corrupt is rebuilt from the results, with a
 * process warning (`THEMIS_PIPELINE_INDEX_REBUILT`) when there were results to index.
 */
export async function openResults(project: Project, experiment: string, create: boolean, indexed = false): Promise<OpenedResults> {
  const table = await openTable(project, experiment, create);
  if (table === undefined) return { table, results: { latest: new Map(), older: new Map() }, index: undefined };
  if (!indexed) return { table, results: await readAllResults(table), index: undefined };
  const index = await StageIndex.open(project, experiment);
  const read = await index.read(table);
  if (read.ok) {
    const results: StageResults = { latest: new Map(), older: new Map() };
    for (const entry of read.entries) keepLatest(results, entry);
    return { table, results, index };
  }
  const results = await readAllResults(table);
  if (results.latest.size > 0) {
    process.emitWarning(
      `the index of pipeline experiment "${experiment}" is ${read.reason}: rebuilt from its ${results.latest.size + results.older.size} results`,
      { code: "THEMIS_PIPELINE_INDEX_REBUILT" },
    );
  }
  await index.rebuild(table, allResults(results));
  return { table, results, index };
}

/** Every result, older ones first, in the order their index entries keep them. */
export function* allResults(results: StageResults): Generator<ResultEntry> {
  yield* results.older.values();
  yield* results.latest.values();
}
