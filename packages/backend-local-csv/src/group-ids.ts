// The duplicate-id check of a group of appends (group commit): each queued batch is taken
// whole or refused whole, against the file and against the batches before it in the group.
import type { StoredRow } from "@themis/core";
import { type ChangePlan, planChanges } from "@themis/core/backend";
import { countIds } from "./confirm-ids.js";
import { BACKEND_NAME } from "./names.js";
import type { WriterState } from "./writer-state.js";

/** One queued append: a batch of rows, stored whole or refused whole. */
export interface QueuedAppend {
  readonly kind: "append";
  readonly rows: readonly StoredRow[];
}

/**
 * Plan a group of appends with core's change planner: ids are checked against the file's
 * fingerprints (a "maybe" confirmed by one streamed read of the file) and against the
 * batches before them in the group. `rejected` holds the batches refused alone
 * (AlreadyExistsError); `rows` and `ids` are what to write.
 */
export async function acceptGroup(
  state: WriterState,
  group: readonly QueuedAppend[],
  path: string,
  describe: string,
): Promise<{ rows: StoredRow[]; ids: string[]; rejected: ChangePlan<QueuedAppend>["rejected"] }> {
  const confirm = async (maybe: readonly string[]): Promise<ReadonlySet<string>> =>
    new Set((await countIds(state.handle, state.size, path, new Set(maybe))).keys());
  const plan = await planChanges(group, state.ids, { backend: BACKEND_NAME, label: describe, confirm });
  const rows = plan.accepted.flatMap((op) => op.rows);
  return { rows, ids: rows.map((r) => r._row_id), rejected: plan.rejected };
}
