import { constants } from "node:fs";
import { type FileHandle, open } from "node:fs/promises";
import { GroupCommitQueue, ROW_ID, fileSystemError, planChanges } from "@themis/core/backend";
import type { GroupOutcome, RowChange, StoredRow, TableStoreImpl } from "@themis/core/backend";
import { BACKEND_NAME } from "./config.js";
import { replaceFile } from "./files.js";
import { indexAppended, indexedIds } from "./id-index.js";
import { encodeRecord, parseRecord, readRows } from "./rows.js";

type Append = Extract<RowChange, { kind: "append" }>;
/** One queued change, with the table handle that writes it. */
type Queued = { readonly change: RowChange; readonly table: JsonlTable };

/**
 * Every writer of a table file goes through the file's queue (core's group commit): changes
 * queued while a write is in flight go out together in the next write, and read snapshots
 * and table deletion run alone, in order, so no write is lost to a race. Module-wide on
 * purpose: two backend instances over one folder in one process share the queues. Writers
 * in other processes are not coordinated (see README, Limits).
 */
const queues = new Map<string, GroupCommitQueue<Queued>>();

/** The queue of the table file `file`. */
export function queueOf(file: string): GroupCommitQueue<Queued> {
  let queue = queues.get(file);
  if (queue === undefined) {
    queue = new GroupCommitQueue<Queued>(async (group) => group[0]?.table.write(group.map((q) => q.change)));
    queues.set(file, queue);
  }
  return queue;
}

/**
 * One table: one JSON Lines file, one row per line, in append order.
 *
 * - `append` writes only the new lines, at the end of the file: O(rows appended), never a
 *   rewrite; the write is flushed before it is acknowledged. A batch holding an id the table
 *   has already is refused whole (AlreadyExistsError), checked against the id index.
 * - `update` and `delete` rewrite the file atomically (temp file, flush, rename); the
 *   changes queued together share one rewrite.
 * - Readers stream a snapshot of the file (see rows.ts for torn and duplicate lines).
 */
export class JsonlTable implements TableStoreImpl {
  /** Absolute path of the table's `.jsonl` file. */
  readonly #file: string;
  /** The table in messages, e.g. `dataset "qa" of project "p"`; core's `planChanges` uses it too. */
  readonly #label: string;
  readonly #fsync: boolean;

  constructor(file: string, label: string, fsync: boolean) {
    this.#file = file;
    this.#label = label;
    this.#fsync = fsync;
  }

  /** A file operation's failure as a Themis error (core's `fileSystemError`); ENOENT: the table is gone. */
  #fsError(error: unknown, action: string): unknown {
    return fileSystemError(error, { backend: BACKEND_NAME, action: `${action} ${this.#label}`, notFound: `${this.#label} does not exist` });
  }

  async *entries(): AsyncIterable<StoredRow> {
    const file = this.#file;
    // Take the snapshot (open + size) in the table's queue, so no write of this process is
    // half-done at that moment. Rewrites rename a new file into place, so the open handle
    // keeps reading the complete old file; appends land after `size` and are not seen.
    const { handle, size } = await queueOf(file).exclusive(async () => {
      const opened = await open(file, "r").catch((error: unknown) => {
        throw this.#fsError(error, "read");
      });
      const stats = await opened.stat().catch(async (error: unknown) => {
        await opened.close();
        throw this.#fsError(error, "read");
      });
      return { handle: opened, size: stats.size };
    });
    try {
      yield* readRows(file, handle, size);
    } finally {
      await handle.close();
    }
  }

  // No `load` and no `get`: core's fallbacks read `entries()`, as this backend would.

  append(rows: readonly StoredRow[]): Promise<void> {
    return queueOf(this.#file).enqueue({ change: { kind: "append", rows }, table: this });
  }

  update(row: StoredRow): Promise<void> {
    return queueOf(this.#file).enqueue({ change: { kind: "update", row }, table: this });
  }

  delete(id: string): Promise<void> {
    return queueOf(this.#file).enqueue({ change: { kind: "delete", id }, table: this });
  }

  /**
   * Write the changes queued together (the file's group commit): which of them apply, in
   * order, is core's `planChanges` (a batch with a taken or repeated id is refused whole, an
   * update or delete of a missing id is NOT_FOUND); the refused ones fail alone.
   */
  async write(changes: readonly RowChange[]): Promise<GroupOutcome> {
    const appends = changes.filter((change): change is Append => change.kind === "append");
    try {
      return appends.length === changes.length ? await this.#append(appends) : await this.#rewrite(changes);
    } catch (error) {
      throw this.#fsError(error, "write to");
    }
  }

  async #append(changes: readonly Append[]): Promise<GroupOutcome> {
    const file = this.#file;
    // No O_CREAT: appending to a table deleted meanwhile must fail, not recreate it.
    const handle = await open(file, constants.O_RDWR | constants.O_APPEND);
    try {
      const { ids, end, size } = await indexedIds(file, handle);
      if (end < size) await this.#repairTail(handle, end, size, ids);
      const plan = await planChanges(changes, ids, { backend: BACKEND_NAME, label: this.#label });
      const rows = plan.accepted.flatMap((change) => change.rows);
      if (rows.length > 0) {
        const text = rows.map(encodeRecord).join("");
        await handle.writeFile(text, "utf8");
        if (this.#fsync) await handle.datasync();
        // Stored: from here on nothing may fail the append (a retry would get ALREADY_EXISTS).
        await indexAppended(file, handle, rows, Buffer.byteLength(text));
      }
      return changes.map((change) => plan.rejected.get(change));
    } finally {
      await handle.close();
    }
  }

  /**
   * Make sure new records start on a line of their own. The last line, from `start` to
   * `size`, has no newline: when it is a complete record (a hand edit) add the newline; when
   * it is torn, cut it off (it was never acknowledged: appends are acknowledged only after
   * the whole write is flushed).
   */
  async #repairTail(handle: FileHandle, start: number, size: number, ids: Set<string>): Promise<void> {
    const tail = Buffer.alloc(size - start);
    await handle.read(tail, 0, tail.length, start);
    const row = parseRecord(tail.toString("utf8"));
    if (row !== undefined) {
      await handle.writeFile("\n", "utf8");
      ids.add(row[ROW_ID]);
      return;
    }
    await handle.truncate(start);
    process.emitWarning(`${this.#file}: removed a torn last record of ${tail.length} bytes (an append cut short, never acknowledged)`, {
      code: "THEMIS_JSONL_TORN_RECORD",
    });
  }

  /** Read every row, apply the changes that hold in memory, write the file back atomically. */
  async #rewrite(changes: readonly RowChange[]): Promise<GroupOutcome> {
    const file = this.#file;
    // A Map keeps insertion order, and `set` of a key it has keeps its place: the file's order.
    const rows = new Map<string, StoredRow>();
    const handle = await open(file, "r");
    try {
      for await (const row of readRows(file, handle, (await handle.stat()).size)) rows.set(row[ROW_ID], row);
    } finally {
      await handle.close();
    }
    const plan = await planChanges(changes, rows, { backend: BACKEND_NAME, label: this.#label });
    for (const change of plan.accepted) {
      if (change.kind === "append") for (const row of change.rows) rows.set(row[ROW_ID], row);
      else if (change.kind === "update") rows.set(change.row[ROW_ID], change.row);
      else rows.delete(change.id);
    }
    if (plan.accepted.length > 0) await replaceFile(file, [...rows.values()].map(encodeRecord).join(""), this.#fsync);
    return changes.map((change) => plan.rejected.get(change));
  }
}
