// The duplicate-id check of a group of appends (group commit): each queued batch is taken
// whole or refused whole, against the file and against the batches before it in the group.
import { AlreadyExistsError, ROW_ID, type StoredRow } from "@themis/core";
import { countIds } from "./confirm-ids.js";
import { BACKEND_NAME } from "./names.js";
import type { QueuedAppend } from "./write-queue.js";
import type { WriterState } from "./writer-state.js";

/** The ids of `group` already in the file: fingerprint hits, confirmed by one streamed read. */
async function storedAmong(state: WriterState, group: readonly QueuedAppend[], path: string): Promise<Set<string>> {
  const maybe = new Set<string>();
  for (const op of group) for (const row of op.rows) if (state.ids.has(row._row_id) === "maybe") maybe.add(row._row_id);
  if (maybe.size === 0) return maybe;
  return new Set((await countIds(state.handle, state.size, path, maybe)).keys());
}

/**
 * Ids of the group are checked against the file's fingerprints and each other (an exact
 * set, as big as the group). A batch holding a stored id is rejected (ALREADY_EXISTS,
 * `settled`) and takes its own ids back out. Returns the rows to write and their ids.
 */
export async function acceptGroup(state: WriterState, group: readonly QueuedAppend[], path: string, describe: string): Promise<{ accepted: StoredRow[]; ids: Set<string> }> {
  const stored = await storedAmong(state, group, path);
  const ids = new Set<string>();
  const accepted: StoredRow[] = [];
  for (const op of group) {
    const rows = op.rows;
    let added = 0;
    for (; added < rows.length; added++) {
      const id = rows[added]!._row_id;
      if (ids.has(id) || stored.has(id)) break;
      ids.add(id);
    }
    if (added < rows.length) {
      for (let i = 0; i < added; i++) ids.delete(rows[i]!._row_id);
      op.settled = true;
      op.reject(new AlreadyExistsError(`${describe} already has a row with ${ROW_ID} "${rows[added]!._row_id}"; nothing of the batch was stored`, { backend: BACKEND_NAME }));
      continue;
    }
    for (const row of rows) accepted.push(row);
  }
  return { accepted, ids };
}
