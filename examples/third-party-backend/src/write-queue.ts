import type { StoredRow } from "@themis/core";
import { GroupCommitQueue, type GroupOutcome } from "@themis/core/backend";

/** One append batch, with the table that writes it. */
export interface QueuedAppend {
  readonly rows: readonly StoredRow[];
  readonly table: { writeAppends(batches: readonly (readonly StoredRow[])[]): Promise<GroupOutcome> };
}

/**
 * Every writer of a table file goes through the file's queue (core's group commit): appends
 * queued while a write is in flight go out as one write, and rewrites (update, delete) and
 * read snapshots run alone, in order, so a rewrite never loses an append that raced with it.
 *
 * Module-wide on purpose: two backend instances over one folder in one process share the
 * queues. Writers in other processes are not coordinated (see README, Limits).
 */
const queues = new Map<string, GroupCommitQueue<QueuedAppend>>();

/** The queue of `file`. */
export function queueOf(file: string): GroupCommitQueue<QueuedAppend> {
  let queue = queues.get(file);
  if (!queue) {
    queue = new GroupCommitQueue<QueuedAppend>(async (group) => {
      const [head] = group;
      return head?.table.writeAppends(group.map((q) => q.rows));
    });
    queues.set(file, queue);
  }
  return queue;
}
