import { CorruptDataError, ROW_ID, type StoredRow } from "@themis/core/backend";
import { BACKEND_NAME } from "./config.js";

/**
 * One row as one line: JSON text, which holds every JSON value exactly ("1" stays a string,
 * nested objects stay objects) and escapes newlines, so a record never spans two lines.
 */
export function encodeRecord(row: StoredRow): string {
  return `${JSON.stringify(row)}\n`;
}

/** The row `text` holds, or undefined when it holds none (not JSON, or no string `_row_id`). */
export function parseRecord(text: string): StoredRow | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  const isRow = typeof value === "object" && value !== null && !Array.isArray(value) && typeof (value as Record<string, unknown>)[ROW_ID] === "string";
  return isRow ? (value as StoredRow) : undefined;
}

/** The row a line holds. CorruptDataError, naming the file and line, when it holds none. */
export function decodeRecord(text: string, file: string, line: number): StoredRow {
  const row = parseRecord(text);
  if (row === undefined) throw new CorruptDataError(`${file}:${line}: not a JSON object with a string "${ROW_ID}"`, { backend: BACKEND_NAME });
  return row;
}
