import type { MapOutcome } from "../execution/contract.js";
import { toJobError } from "../execution/errors.js";
import { type JsonValue, ROW_ID, type Row, type StoredRow, isExactJsonRow, setOwn, toJsonRow } from "../rows.js";
import { resultRowId } from "./claims.js";
import { type Scores, splitScores } from "./metrics.js";
import { errorJson } from "./run-record.js";

/** What a result row holds. `output` is the task's value, `error` why it failed. */
export interface ResultRow extends Row {
  /** One id per (dataset row, resume key): see `resultRowId`. */
  _row_id: string;
  dataset_row_id: string;
  status: "ok" | "error";
  output: JsonValue;
  error: JsonValue;
  attempts: number;
  duration_ms: number;
  run_id: string;
  task_key: string;
  // `scores` (metric -> number | boolean) is there when the task returned `{ output, scores }`.
}

/**
 * `value` as stored in a result row without sharing an object with the task (which got the
 * dataset row, and returned the scores): result rows are appended without a copy (see
 * `appendOwned`). A `fresh` object with primitive values only needs none. A value that is not
 * exact JSON is left as it is, for the append's copy to report it as for any row.
 */
function detached(value: Row, fresh: boolean): Row {
  if (isFlat(value)) return fresh ? value : ownFields(value);
  return isExactJsonRow(value) ? toJsonRow(value) : value;
}

/** A shallow copy of the own enumerable fields, as `for...in` (and the JSON copy) sees them, but `skip`. */
function ownFields(value: Row, skip?: string): Row {
  const out: Row = {};
  for (const k in value) if (k !== skip && Object.hasOwn(value, k)) setOwn(out, k, value[k]);
  return out;
}

function isFlat(value: Row): boolean {
  for (const k in value) {
    const v = value[k];
    if (typeof v === "object" && v !== null) return false;
  }
  return true;
}

/**
 * A result row as JSON, or an error row when the task's value cannot be stored as JSON. A
 * value `{ output, scores }` stores `output` and the scores apart (see `splitScores`).
 */
export function resultRow(row: StoredRow, outcome: MapOutcome, runId: string, key: string, storeInput: boolean): ResultRow {
  const datasetRowId = row[ROW_ID];
  // Field order is column order in tabular stores: what people read first comes first.
  // Built by assignment, not spreads: this runs once per row of every run.
  const resultOf = (status: "ok" | "error", output: JsonValue, error: JsonValue, scores?: Scores): ResultRow => {
    const result = { _row_id: resultRowId(datasetRowId, key), dataset_row_id: datasetRowId, status, output, error } as ResultRow;
    if (storeInput) result.input = detached(ownFields(row, ROW_ID), true);
    result.attempts = outcome.attempts;
    result.duration_ms = Math.round(outcome.durationMs * 1000) / 1000;
    result.run_id = runId;
    result.task_key = key;
    if (scores) result.scores = detached(scores, false);
    return result;
  };
  if (outcome.ok) {
    try {
      const split = splitScores(outcome.value);
      const value = split ? split.output : outcome.value;
      return resultOf("ok", toJsonRow({ output: value === undefined ? null : value }).output ?? null, null, split?.scores);
    } catch (error) {
      return resultOf("error", null, errorJson(toJobError(error)));
    }
  }
  const details: { [key: string]: JsonValue } = {};
  if (outcome.exitCode !== undefined) details.exitCode = outcome.exitCode;
  if (outcome.stderr !== undefined) details.stderr = outcome.stderr.text;
  return resultOf("error", null, { ...(errorJson(outcome.error) as { [key: string]: JsonValue }), ...details });
}
