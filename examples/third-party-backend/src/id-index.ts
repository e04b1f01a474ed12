import type { FileHandle } from "node:fs/promises";
import path from "node:path";
import { ROW_ID, type StoredRow } from "@themis/core/backend";
import { readLines } from "./lines.js";
import { parseRecord } from "./rows.js";

/**
 * The row ids of each table file, kept so `append` can refuse an existing id without reading
 * the whole file every time: built by one full read on the first append of a table in this
 * process, then kept up to date: our own appends add their ids, and only the bytes another
 * process appended since are read. A file replaced by a rewrite (a new file renamed into
 * place: another inode) or shrunk behind our back is read afresh. So an append costs
 * O(rows appended).
 *
 * Module-wide, like the write queues: every writer of a file in this process goes through
 * the file's queue, whichever backend instance it belongs to. Only touched inside that queue.
 */
const indexes = new Map<string, { readonly identity: string; end: number; readonly ids: Set<string> }>();

/** What {@link indexedIds} answers. */
export interface IndexedIds {
  /** Every id on a complete line of the file (the caller may add to it). */
  readonly ids: Set<string>;
  /** Where the indexed lines end: past it, up to `size`, is only a last line without newline. */
  readonly end: number;
  readonly size: number;
}

/** The ids of the table file open as `handle`, brought up to date with what is on disk. */
export async function indexedIds(file: string, handle: FileHandle): Promise<IndexedIds> {
  const stats = await handle.stat();
  const identity = `${stats.dev}:${stats.ino}:${stats.birthtimeMs}`;
  let index = indexes.get(file);
  if (index?.identity !== identity || stats.size < index.end) {
    index = { identity, end: 0, ids: new Set() };
    indexes.set(file, index);
  }
  for await (const line of readLines(handle, stats.size, index.end)) {
    if (!line.terminated) break;
    const id = parseRecord(line.text)?.[ROW_ID]; // A blank or unreadable line holds none; readers report it.
    if (id !== undefined) index.ids.add(id);
    index.end = line.end;
  }
  return { ids: index.ids, end: index.end, size: stats.size };
}

/**
 * Our own append of `rows`, `bytes` long, reached the file open as `handle`: index it now,
 * so the next append need not read it back. Unless the file is not what the index saw plus
 * these bytes (another writer's landed too, or a tail was repaired): the next append then
 * reads everything past the index, ours included.
 */
export async function indexAppended(file: string, handle: FileHandle, rows: readonly StoredRow[], bytes: number): Promise<void> {
  const index = indexes.get(file);
  const size = (await handle.stat().catch(() => undefined))?.size;
  if (index === undefined || size !== index.end + bytes) return;
  for (const row of rows) index.ids.add(row[ROW_ID]);
  index.end = size;
}

/** Drop the index of `target`, a table file, or of every table file under it, a project folder. */
export function forgetIds(target: string): void {
  for (const file of indexes.keys()) if (file === target || file.startsWith(target + path.sep)) indexes.delete(file);
}
