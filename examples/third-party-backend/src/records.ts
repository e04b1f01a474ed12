import { CorruptDataError, ROW_ID, type StoredRow } from "@themis/core";
import { BACKEND_NAME } from "./name.js";

/**
 * One row as one line: JSON text, which holds every JSON value exactly ("1" stays a string,
 * nested objects stay objects) and escapes newlines, so a record never spans two lines.
 */
export function encodeRecord(row: StoredRow): string {
  return `${JSON.stringify(row)}\n`;
}

/** The row a line holds. CorruptDataError, naming the file and line, when it holds none. */
export function decodeRecord(text: string, file: string, line: number): StoredRow {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new CorruptDataError(`${file}:${line}: not valid JSON (${(cause as Error).message})`, { backend: BACKEND_NAME, cause });
  }
  if (typeof value !== "object" || value === null || Array.isArray(value) || typeof (value as Record<string, unknown>)[ROW_ID] !== "string") {
    throw new CorruptDataError(`${file}:${line}: expected a JSON object with a string "${ROW_ID}"`, { backend: BACKEND_NAME });
  }
  return value as StoredRow;
}

/** True when `text` is a complete record: used to tell a torn append from a missing final newline. */
export function isCompleteRecord(text: string): boolean {
  try {
    const value = JSON.parse(text) as unknown;
    return typeof value === "object" && value !== null && !Array.isArray(value) && typeof (value as Record<string, unknown>)[ROW_ID] === "string";
  } catch {
    return false;
  }
}
