import type { MapOutcome } from "../execution/contract.js";
import { toJobError } from "../execution/errors.js";
import { type JsonValue, ROW_ID, type Row, type StoredRow, toJsonRow } from "../rows.js";
import { errorJson } from "./run-record.js";

/** What a result row holds. `output` is the task's value, `error` why it failed. */
export interface ResultRow extends Row {
  dataset_row_id: string;
  status: "ok" | "error";
  output: JsonValue;
  error: JsonValue;
  attempts: number;
  duration_ms: number;
  run_id: string;
  task_key: string;
}

/** A result row as JSON, or an error row when the task's value cannot be stored as JSON. */
export function resultRow(row: StoredRow, outcome: MapOutcome, runId: string, key: string, storeInput: boolean): ResultRow {
  const { [ROW_ID]: datasetRowId, ...input } = row;
  // Field order is column order in tabular stores: what people read first comes first.
  const resultOf = (status: "ok" | "error", output: JsonValue, error: JsonValue): ResultRow => ({
    dataset_row_id: datasetRowId,
    status,
    output,
    error,
    ...(storeInput ? { input } : {}),
    attempts: outcome.attempts,
    duration_ms: Math.round(outcome.durationMs * 1000) / 1000,
    run_id: runId,
    task_key: key,
  });
  if (outcome.ok) {
    try {
      return resultOf("ok", toJsonRow({ output: outcome.value === undefined ? null : outcome.value }).output ?? null, null);
    } catch (error) {
      return resultOf("error", null, errorJson(toJobError(error)));
    }
  }
  const details: { [key: string]: JsonValue } = {};
  if (outcome.exitCode !== undefined) details.exitCode = outcome.exitCode;
  if (outcome.stderr !== undefined) details.stderr = outcome.stderr.text;
  return resultOf("error", null, { ...(errorJson(outcome.error) as { [key: string]: JsonValue }), ...details });
}

