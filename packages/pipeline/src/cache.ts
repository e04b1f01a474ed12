import type { Experiment, JsonValue, Project, Row } from "@themis/core";
import { hashOf } from "./hash.js";

/** A stage's result row: one per dataset row id (its `_row_id`), replaced when recomputed. */
export interface StoredResult extends Row {
  _row_id: string;
  status: "ok" | "error";
  output: JsonValue;
  error: JsonValue;
  /** hash(input_hash, code_hash, params_hash): the row is reused while it is unchanged. */
  cache_key: string;
  /** The dataset row's hash (root stages) or the upstream rows' cache keys (downstream stages). */
  input_hash: string;
  code_hash: string;
  params_hash: string;
  /** The pipeline run that computed it. */
  pipeline_run: string;
  attempts: number;
  duration_ms: number;
  finished_at: string;
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

/** Whether a row is reused, and if not, the first reason it is not (input, then code, then parameters). */
export function decide(stored: StoredResult | undefined, key: RowKey, root: boolean): RowReason {
  if (stored === undefined) return "new";
  if (stored.cache_key === key.key) return stored.status === "ok" ? "cached" : "failed-before";
  if (stored.input_hash !== key.inputHash) return root ? "input-changed" : "upstream-changed";
  if (stored.code_hash !== key.codeHash) return "code-changed";
  return "parameters-changed";
}

/** A stage's experiment and its stored results by dataset row id (empty when it does not exist yet). */
export async function openResults(project: Project, experiment: string, create: boolean): Promise<{ table: Experiment<StoredResult> | undefined; results: Map<string, StoredResult> }> {
  const results = new Map<string, StoredResult>();
  let table: Experiment<StoredResult> | undefined;
  try {
    table = await project.getExperiment<StoredResult>(experiment);
  } catch (error) {
    if ((error as { code?: string }).code !== "ERR_THEMIS_NOT_FOUND") throw error;
    if (create) table = await project.createExperiment<StoredResult>(experiment);
    return { table, results };
  }
  for await (const row of table.entries()) results.set(row._row_id, row);
  return { table, results };
}
