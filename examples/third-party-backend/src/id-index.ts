import type { Stats } from "node:fs";
import type { FileHandle } from "node:fs/promises";
import { ROW_ID } from "@themis/core";
import { readLines } from "./lines.js";

/**
 * The row ids of one table file, kept so `append` can refuse an existing id without reading
 * the whole file every time. Built by one full read on the first append of a table in this
 * process, then kept up to date incrementally: our own appends add their ids, rewrites
 * (update, delete) replace the index, and bytes another process appended since are read
 * from where the index stopped. So an append costs O(rows appended), as before.
 */
interface IdIndex {
  /** Which file the index describes: a rewrite renames a new file into place. */
  readonly dev: number;
  readonly ino: number;
  readonly birthtimeMs: number;
  /** Byte offset up to which the file is indexed; always 0 or just after a newline. */
  scanned: number;
  readonly ids: Set<string>;
}

/**
 * Module-wide, like the write queues: every writer of a file in this process goes through
 * the file's queue and keeps this index right, whichever backend instance it belongs to.
 * Only ever touched from inside the file's queue.
 */
const indexes = new Map<string, IdIndex>();

function sameFile(index: IdIndex, stats: Stats): boolean {
  return index.dev === stats.dev && index.ino === stats.ino && index.birthtimeMs === stats.birthtimeMs;
}

/** The id a line holds, or undefined for a blank or unreadable line (readers report those). */
function idOf(text: string): string | undefined {
  if (text.trim() === "") return undefined;
  try {
    const value = JSON.parse(text) as unknown;
    if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
    const id = (value as Record<string, unknown>)[ROW_ID];
    return typeof id === "string" ? id : undefined;
  } catch {
    return undefined;
  }
}

/** The ids of a table file, read through `handle` (whose `stats` were just taken). */
export interface FileIds {
  has(id: string): boolean;
  /** Record a successful append of `ids`, written as `bytes` bytes at what was the end of the file. */
  appended(ids: readonly string[], bytes: number, after: Stats): void;
}

/**
 * The ids of every row in `file`, brought up to date with what is on disk: reads only the
 * bytes past the indexed part (all of them the first time, or when the file was replaced or
 * shrank behind our back). A last line without its newline (a complete record: the caller
 * has already cut off a torn one) counts, but stays outside the indexed part.
 */
export async function fileIds(file: string, handle: FileHandle, stats: Stats): Promise<FileIds> {
  let index = indexes.get(file);
  if (index === undefined || !sameFile(index, stats) || stats.size < index.scanned) {
    index = { dev: stats.dev, ino: stats.ino, birthtimeMs: stats.birthtimeMs, scanned: 0, ids: new Set() };
    indexes.set(file, index);
  }
  const current = index;
  let tail: string | undefined;
  for await (const line of readLines(handle, stats.size, current.scanned)) {
    const id = idOf(line.text);
    if (line.terminated) {
      if (id !== undefined) current.ids.add(id);
      current.scanned = line.end;
    } else {
      tail = id;
    }
  }
  const before = stats.size;
  return {
    has: (id) => current.ids.has(id) || id === tail,
    appended(ids, bytes, after) {
      // Only when nothing else landed in between (another process appending at the same
      // moment); otherwise the next append reads from `scanned`, our own rows included.
      if (indexes.get(file) !== current || !sameFile(current, after) || after.size !== before + bytes) return;
      if (tail !== undefined) current.ids.add(tail);
      for (const id of ids) current.ids.add(id);
      current.scanned = after.size;
    },
  };
}

/** After a rewrite: the file (of `stats`, taken after the rename) holds exactly `ids`. */
export function replaceFileIds(file: string, stats: Stats, ids: Iterable<string>): void {
  indexes.set(file, { dev: stats.dev, ino: stats.ino, birthtimeMs: stats.birthtimeMs, scanned: stats.size, ids: new Set(ids) });
}

/** Drop the index of `file`, or of every file under the folder `prefix` (ending with a separator). */
export function forgetFileIds(fileOrPrefix: string, { under = false } = {}): void {
  if (!under) {
    indexes.delete(fileOrPrefix);
    return;
  }
  for (const file of indexes.keys()) if (file.startsWith(fileOrPrefix)) indexes.delete(file);
}
