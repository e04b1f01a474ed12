// Appending encoded rows to the table's O_APPEND handle.
import type { StoredRow } from "@themis/core";
import { serializeRows } from "@themis/csv-codec";
import { writeAll, writeAllSync } from "./durable-fs.js";
import { countNewlines } from "./record-boundary.js";
import type { WriterState } from "./writer-state.js";

// Appends up to this size are written with a synchronous write call.
const SYNC_WRITE_LIMIT = 64 * 1024;
// Rows encoded at a time by a large append: between two chunks the event loop runs (the
// lock's refresh timer among others), whatever the size of the batch.
export const ENCODE_CHUNK_ROWS = 2000;

/** Rows as CSV lines (no header) under `header`. */
export const rowsText = (header: readonly string[], rows: readonly StoredRow[], newline: "\n" | "\r\n"): string =>
  serializeRows(header, rows, { includeHeader: false, newline });

/**
 * Encode and write rows on the O_APPEND handle: one write call for a small batch, chunks
 * that let the event loop run for a large one. A failed write (disk full) is cut back.
 */
export async function writeRows(
  state: WriterState,
  header: readonly string[],
  rows: readonly StoredRow[],
  fsync: boolean,
): Promise<{ bytes: number; lines: number }> {
  let bytes = 0;
  let lines = 0;
  try {
    for (let i = 0; i < rows.length; i += ENCODE_CHUNK_ROWS) {
      const text = rowsText(header, rows.length <= ENCODE_CHUNK_ROWS ? rows : rows.slice(i, i + ENCODE_CHUNK_ROWS), state.newline);
      const data = Buffer.from(text, "utf8");
      // Small appends (the common one-row case) write synchronously: microseconds on a local
      // disk, against a thread-pool round trip; large ones go through the thread pool.
      if (data.length <= SYNC_WRITE_LIMIT && rows.length <= ENCODE_CHUNK_ROWS) writeAllSync(state.handle.fd, data);
      else await writeAll(state.handle, data);
      bytes += data.length;
      lines += countNewlines(text);
    }
  } catch (error) {
    // A short write (disk full, quota): take the partial batch back out while still locked.
    await state.handle.truncate(state.size).catch(() => undefined);
    throw error;
  }
  if (fsync) await state.handle.datasync();
  return { bytes, lines };
}
