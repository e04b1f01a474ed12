import type { FileHandle } from "node:fs/promises";
import { ROW_ID, type StoredRow } from "@themis/core/backend";
import { readLines } from "./lines.js";
import { decodeRecord, parseRecord } from "./records.js";

/**
 * The rows of the table `file`, open as `handle`, up to byte `end`, streamed.
 *
 * - Blank lines (hand edits) hold no row.
 * - A torn last line (an append cut short by a crash, so never acknowledged) is skipped with
 *   a process warning; the next append cuts it off. Any other unreadable line is a
 *   CorruptDataError naming the file and line.
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
      if (!line.terminated && parseRecord(line.text) === undefined) {
        process.emitWarning(`${file}:${line.number}: skipping a torn last record (an append cut short, never acknowledged); the next append removes it`, {
          code: "THEMIS_JSONL_TORN_RECORD",
        });
        return;
      }
      const row = decodeRecord(line.text, file, line.number);
      if (seen.has(row[ROW_ID])) duplicates++;
      else {
        seen.add(row[ROW_ID]);
        yield row;
      }
    }
  } finally {
    if (duplicates > 0) {
      const message = `${file}: skipped ${duplicates} row${duplicates === 1 ? "" : "s"} whose ${ROW_ID} is stored earlier in the file (the first stored wins; the next update or delete removes the rest)`;
      process.emitWarning(message, { code: "THEMIS_JSONL_DUPLICATE_ROW_ID" });
    }
  }
}
