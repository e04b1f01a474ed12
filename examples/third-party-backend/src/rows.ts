import type { FileHandle } from "node:fs/promises";
import { CorruptDataError, ROW_ID, type StoredRow } from "@themis/core/backend";
import { BACKEND_NAME } from "./config.js";
import { readLines } from "./lines.js";

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

/**
 * The rows of the table `file`, open as `handle`, up to byte `end`, streamed.
 *
 * - Blank lines (hand edits) hold no row.
 * - A torn last line (an append cut short by a crash, so never acknowledged) is skipped with
 *   a process warning; the next append cuts it off. Any other unreadable line is a
 *   CorruptDataError naming the file and line: nothing is dropped silently.
 * - Never two rows with one id: should the file hold one twice (two processes appending the
 *   same new id at the same moment, or a hand edit), the first stored wins and later copies
 *   are skipped with a process warning; the next update or delete drops them.
 */
export async function* readRows(file: string, handle: FileHandle, end: number): AsyncGenerator<StoredRow> {
  const seen = new Set<string>();
  let duplicates = 0;
  try {
    for await (const line of readLines(handle, end)) {
      if (line.text.trim() === "") continue;
      const row = parseRecord(line.text);
      if (row === undefined && !line.terminated) {
        process.emitWarning(`${file}:${line.number}: skipping a torn last record (never acknowledged); the next append removes it`, {
          code: "THEMIS_JSONL_TORN_RECORD",
        });
        return;
      }
      if (row === undefined) throw new CorruptDataError(`${file}:${line.number}: not a JSON object with a string "${ROW_ID}"`, { backend: BACKEND_NAME });
      if (seen.has(row[ROW_ID])) duplicates++;
      else {
        seen.add(row[ROW_ID]);
        yield row;
      }
    }
  } finally {
    if (duplicates > 0) {
      const message = `${file}: skipped ${duplicates} row(s) whose ${ROW_ID} is stored earlier in the file (the first stored wins; the next update or delete removes the rest)`;
      process.emitWarning(message, { code: "THEMIS_JSONL_DUPLICATE_ROW_ID" });
    }
  }
}
