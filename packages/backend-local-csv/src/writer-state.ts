import type { FileHandle } from "node:fs/promises";
import type { IdSet } from "@themis/core/backend";

/**
 * What a writer knows about the file, valid while the file keeps its inode and does not
 * shrink: `[0, size)` holds complete, checked records. Other processes only ever append
 * after `size` (under the lock) or replace the file (new inode), so before each write
 * only the bytes appended since are read: appends stay O(batch), not O(table).
 */
export interface WriterState {
  dev: number;
  ino: number;
  /** With dev and ino, tells a recreated file apart from the old one (inode numbers get reused). */
  birthtimeMs: number;
  size: number;
  /** Newlines in `[0, size)`, for line numbers in errors. */
  lines: number;
  /** Undefined while the file is empty (no header row yet). */
  header: readonly string[] | undefined;
  newline: "\n" | "\r\n";
  /**
   * Fingerprints of every `_row_id` in the file (a few bytes per row, no strings): appends
   * refuse duplicates, update/delete know what exists; a "maybe" is confirmed on the file.
   */
  ids: IdSet;
  /** Read + O_APPEND handle on this inode: catch-up reads (pread) and appends. */
  handle: FileHandle;
}

// Read chunk size for streamed reads. Kept under V8's large-object threshold (~128 KiB):
// larger chunk strings land in large-object space, which only a full GC frees, and peak
// RSS then grows with the table instead of staying flat.
export const STREAM_CHUNK_BYTES = 64 * 1024;
// Rows handled per batch while streaming a whole file (catch-up, rewrites).
export const REWRITE_BATCH = 1000;
