import type { ResultEntry } from "./cache.js";

/*
 * How index entries are stored: many to a row. Every field of an entry is a row id
 * (letters, digits, `_ . : -`), a hex hash or a status, so none holds a space or a `;`:
 * an entry is its fields joined by spaces, a packed row's cell its entries joined by `;`.
 * One cell of a thousand entries costs the storage layer (CSV parsing, cell decoding, one
 * object per row) a small fraction of what a thousand rows of six cells do, on read and on
 * write: reading the index is most of a cached run's time.
 */

/** Row id prefix of a packed row (`e-<hash of its cell>`). */
export const PACKED = "e-";
/** Row id prefix of a task triple row (`t-<hash of the triple>`). */
export const TASK = "t-";
/** Entries per packed row at most (a cell of about 140 kB). */
export const PACK_SIZE = 1000;

/** The task triple an entry names (stored once per index, in a `t-` row). */
export type Task = Pick<ResultEntry, "code_hash" | "params_hash" | "pipeline_run">;

/** One entry as a line: result id, dataset row id, status, cache key, input hash, task triple id. */
export function entryLine(e: ResultEntry, taskId: string): string {
  return `${e._row_id} ${e.dataset_row_id} ${e.status} ${e.cache_key} ${e.input_hash} ${taskId}`;
}

/** Lines packed into cells of at most {@link PACK_SIZE} entries. */
export function packLines(lines: readonly string[]): string[] {
  const cells: string[] = [];
  for (let i = 0; i < lines.length; i += PACK_SIZE) cells.push(lines.slice(i, i + PACK_SIZE).join(";"));
  return cells;
}

/**
 * The entries of a packed cell, appended to `out` in order; false when the cell is not
 * well formed (a field missing, an unknown status or task): the index is then rebuilt.
 */
export function unpackCell(cell: unknown, tasks: ReadonlyMap<string, Task>, out: ResultEntry[]): boolean {
  if (typeof cell !== "string" || cell === "") return false;
  for (const line of cell.split(";")) {
    const f = line.split(" ");
    if (f.length !== 6) return false;
    const [id, d, s, k, i, t] = f as [string, string, string, string, string, string];
    const task = tasks.get(t);
    if (task === undefined || (s !== "ok" && s !== "error") || id === "" || d === "" || k === "" || i === "") return false;
    out.push({
      _row_id: id,
      dataset_row_id: d,
      status: s,
      cache_key: k,
      input_hash: i,
      code_hash: task.code_hash,
      params_hash: task.params_hash,
      pipeline_run: task.pipeline_run,
    });
  }
  return true;
}
