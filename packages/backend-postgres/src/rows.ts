import { CorruptDataError, type StoredRow } from "@themis/core";
import { BACKEND_NAME } from "./errors.js";

/** Parse a stored row's JSON text, refusing what Themis cannot have written. */
export function parseRow(json: string, rowId: string, where: string): StoredRow {
  let row: unknown;
  try {
    row = JSON.parse(json);
  } catch (cause) {
    throw new CorruptDataError(`${where}: row "${rowId}" is not valid JSON`, { backend: BACKEND_NAME, cause });
  }
  if (typeof row !== "object" || row === null || Array.isArray(row) || (row as { _row_id?: unknown })._row_id !== rowId) {
    throw new CorruptDataError(`${where}: row "${rowId}" is not a JSON object with that _row_id`, { backend: BACKEND_NAME });
  }
  return row as StoredRow;
}
