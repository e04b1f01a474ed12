import { type Stats, fstatSync, statSync } from "node:fs";
import { open, rm, type FileHandle } from "node:fs/promises";
import { AlreadyExistsError, CorruptDataError, NotFoundError, ROW_ID, type StoredRow } from "@themis/core";
import { GroupCommitQueue, type GroupOutcome, IdSet } from "@themis/core/backend";
import { headerFor } from "@themis/csv-codec";
import { catchUp } from "./catch-up.js";
import { faultDelay } from "./fault.js";
import { TableLock } from "./file-lock.js";
import { type QueuedAppend, acceptGroup } from "./group-ids.js";
import { withKeyedMutex } from "./keyed-mutex.js";
import { removeLeftovers } from "./leftovers.js";
import { type CommittedTable, type FileIdentity, sameFile } from "./lock-record.js";
import { BACKEND_NAME } from "./names.js";
import { type TableChange, rewriteFile } from "./rewrite-file.js";
import { type Snapshot, loadSnapshot, streamSnapshot } from "./snapshot-read.js";
import { rollBackPastCommitted } from "./tail-repair.js";
import { unlockedSnapshot } from "./unlocked-snapshot.js";
import { writeRows } from "./write-rows.js";
import type { WriterState } from "./writer-state.js";

/** Settings a table file needs from the backend config. */
export interface TableFileOptions {
  lockStaleMs: number;
  lockTimeoutMs: number;
  fsyncAppends: boolean;
}

// Errors of writing a lock record that leave the table readable.
const CANNOT_WRITE = new Set(["EACCES", "EROFS", "EPERM", "ENOSPC", "EDQUOT"]);

function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === "ENOENT";
}

/**
 * One table's CSV file: reads from consistent snapshots, O(1) appends, atomic rewrites,
 * torn-tail repair, serialized writers (per process: a keyed mutex; across processes: a
 * lock file beside the table).
 */
export class CsvTableFile {
  readonly path: string;
  readonly #lock: TableLock;
  /** Leftovers of killed writers are removed once, on the first lock taken. */
  #cleaned = false;
  readonly #options: TableFileOptions;
  readonly #describe: string;
  #state: WriterState | undefined;
  /**
   * Group commit: writes run one at a time in call order; appends queued behind a write in
   * flight go out together in the next one. A group settles only once written, committed in
   * the lock and the lock checked to be still ours: a crash before that leaves the group to
   * be rolled back, and none of it was acknowledged.
   */
  readonly #queue = new GroupCommitQueue<QueuedAppend>((group) => this.#appendGroup(group));

  /** `describe` names the table in errors, e.g. `dataset "qa" of project "p"`. */
  constructor(path: string, describe: string, options: TableFileOptions) {
    this.path = path;
    this.#lock = new TableLock(`${path}.lock`, { staleMs: options.lockStaleMs, timeoutMs: options.lockTimeoutMs });
    this.#describe = describe;
    this.#options = options;
  }

  #notFound(cause?: unknown): NotFoundError {
    return new NotFoundError(`${this.#describe} does not exist (no file ${this.path})`, { backend: BACKEND_NAME, cause });
  }

  /**
   * Run `fn` holding this table's in-process mutex and its cross-process lock (kept as a
   * lease between operations, see {@link TableLock}), after moving aside what a writer that
   * died holding the lock wrote past its committed length.
   */
  async #locked<T>(fn: (lock: TableLock | undefined) => Promise<T>, forRead = false): Promise<T> {
    return withKeyedMutex(this.path, async () => {
      let lock: TableLock | undefined;
      let inherited: CommittedTable | undefined;
      try {
        ({ inherited } = await this.#lock.acquire());
        lock = this.#lock;
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === "ENOENT") throw this.#notFound(error); // the folder is gone: table (or project) deleted
        // A reader that cannot write a lock record (read-only folder, full disk) reads without it.
        if (!(forRead && CANNOT_WRITE.has(code ?? ""))) throw error;
      }
      try {
        if (lock) await this.#afterAcquire(inherited);
        return await fn(lock);
      } finally {
        lock?.done();
      }
    });
  }

  async #afterAcquire(inherited: CommittedTable | undefined): Promise<void> {
    if (inherited) await this.#rollBack(inherited);
    if (!this.#cleaned) {
      this.#cleaned = true;
      await removeLeftovers(this.path, this.#options.lockStaleMs);
    }
  }

  /**
   * A writer died holding the lock (its lock was just broken, and its committed length
   * inherited): whatever it wrote past that length was never acknowledged, so it must not
   * appear. Those bytes move to `<table>.csv.torn` (nothing is deleted) and the table is cut
   * back: batches are all or nothing, even across crashes.
   */
  async #rollBack(committed: CommittedTable): Promise<void> {
    const moved = await rollBackPastCommitted(this.path, committed);
    if (moved > 0 && this.#state && this.#state.size > committed.size) await this.#forget();
  }

  // ---------------------------------------------------------------- reads

  /**
   * An open handle and the file size, taken under the lock: no write is half done, and the
   * handle keeps reading this version even if a rewrite replaces the file meanwhile.
   * Parsing then runs without the lock. A reader that cannot write a lock record takes
   * its snapshot without the lock ({@link unlockedSnapshot}).
   */
  async #snapshot(): Promise<Snapshot> {
    await this.#queue.settled();
    return this.#locked(async (lock) => {
      let handle: FileHandle;
      try {
        if (!lock) return await unlockedSnapshot(this.path, this.#lock.path, this.#options.lockTimeoutMs);
        handle = await open(this.path, "r");
      } catch (error) {
        if (isMissing(error)) throw this.#notFound(error);
        throw error;
      }
      try {
        const { size } = await handle.stat();
        return { handle, size };
      } catch (error) {
        await handle.close();
        throw error;
      }
    }, true);
  }

  /** Every row, in file order. */
  async load(): Promise<StoredRow[]> {
    return loadSnapshot(await this.#snapshot(), this.path);
  }

  /** Every row in file order, parsed incrementally from a snapshot: memory stays flat. */
  async *entries(): AsyncGenerator<StoredRow> {
    yield* streamSnapshot(await this.#snapshot(), this.path);
  }

  /** The row with this id, or undefined. Reads the file up to that row. */
  async get(id: string): Promise<StoredRow | undefined> {
    for await (const row of this.entries()) if (row._row_id === id) return row;
    return undefined;
  }

  // ---------------------------------------------------------------- writes

  /**
   * Append rows as one batch, in one write (a batch that brings new columns rewrites the
   * file instead). Appends queued while a write is in flight are written together, in
   * order, as one write (group commit), each batch still checked and failing on its own.
   */
  append(rows: readonly StoredRow[]): Promise<void> {
    return this.#queue.enqueue({ kind: "append", rows });
  }

  /** Replace the row with `row._row_id` in place (atomic rewrite). NotFoundError if missing. */
  update(row: StoredRow): Promise<void> {
    return this.#queue.exclusive(() =>
      this.#write(async (state, lock) => {
        if (state.ids.has(row._row_id) === "no") throw this.#rowNotFound(row._row_id);
        await this.#rewrite(state, lock, headerFor([row], state.header ?? []), { update: row });
      }),
    );
  }

  /** Remove a row (atomic rewrite). NotFoundError if missing. */
  delete(id: string): Promise<void> {
    return this.#queue.exclusive(() =>
      this.#write(async (state, lock) => {
        if (state.ids.has(id) === "no") throw this.#rowNotFound(id);
        await this.#rewrite(state, lock, state.header ?? [ROW_ID], { deleteId: id });
      }),
    );
  }

  /**
   * Write one group of appends: the batches the planner accepts go out in one write; a batch
   * refused alone (a duplicate id) fails with its own error, even when the write then fails.
   */
  async #appendGroup(group: readonly QueuedAppend[]): Promise<GroupOutcome> {
    let refused: ReadonlyMap<QueuedAppend, unknown> = new Map();
    try {
      await this.#write(async (state, lock) => {
        const plan = await acceptGroup(state, group, this.path, this.#describe);
        refused = plan.rejected;
        if (plan.rows.length > 0) await this.#writeAppends(state, lock, plan.rows, plan.ids);
      });
    } catch (error) {
      return group.map((op) => refused.get(op) ?? error);
    }
    return group.map((op) => refused.get(op));
  }

  /** Append accepted rows (or rewrite, when they bring new columns); their ids join the fingerprints once written. */
  async #writeAppends(state: WriterState, lock: TableLock | undefined, accepted: readonly StoredRow[], ids: readonly string[]): Promise<void> {
    const header = headerFor(accepted, state.header ?? []);
    if (state.header === undefined || header !== state.header) {
      await this.#rewrite(state, lock, header, { append: accepted });
      return;
    }
    if (lock) {
      // Everything up to here is vouched for before a byte is written: if this process
      // dies mid-write, the lock's next holder cuts the table back to exactly this length.
      const c = lock.committed;
      if (!c || c.size !== state.size || !sameFile(c, state)) lock.commit(state);
    }
    const written = await writeRows(state, header, accepted, this.#options.fsyncAppends);
    for (const id of ids) state.ids.add(id);
    faultDelay("after-write");
    state.size += written.bytes;
    state.lines += written.lines;
    if (lock) {
      // Commit, then check the lock is still ours, then acknowledge: a holder that lost the
      // lock meanwhile never acknowledges, and the new holder (which inherited the
      // committed length from before this write) moves these bytes aside.
      lock.commit(state);
      if (!lock.owned()) throw lock.lostError(this.#describe);
    }
  }

  /** Delete the table's file (and a torn-line sidecar). NotFoundError if missing. */
  remove(): Promise<void> {
    return this.#queue.exclusive(() => this.#removeNow());
  }

  async #removeNow(): Promise<void> {
    await this.#locked(async () => {
      await this.#forget();
      try {
        await rm(this.path);
      } catch (error) {
        if (isMissing(error)) throw this.#notFound(error);
        throw error;
      }
      await rm(`${this.path}.torn`, { force: true });
    });
    this.#lock.release();
  }

  /** Close the append handle. The table can still be used (it reopens). */
  async close(): Promise<void> {
    await this.#queue.settled();
    await withKeyedMutex(this.path, async () => {
      await this.#forget();
      this.#lock.release();
    });
  }

  #rowNotFound(id: string): NotFoundError {
    return new NotFoundError(`${this.#describe} has no row with ${ROW_ID} "${id}"`, { backend: BACKEND_NAME });
  }

  async #forget(): Promise<void> {
    const handle = this.#state?.handle;
    this.#state = undefined;
    await handle?.close().catch(() => undefined);
  }

  /** Open the file for reading and appending, checking it is the file `expected` describes. */
  async #openHandle(expected: FileIdentity): Promise<FileHandle> {
    const handle = await open(this.path, "a+");
    if (!sameFile(await handle.stat(), expected)) {
      await handle.close();
      throw new CorruptDataError(`${this.path} was replaced while locked: another program writes it without taking ${this.#lock.path}`, {
        backend: BACKEND_NAME,
      });
    }
    return handle;
  }

  /** Lock, bring the writer state up to date with the file, run `fn`; any failure drops the state. */
  async #write(fn: (state: WriterState, lock: TableLock | undefined) => Promise<void>): Promise<void> {
    await this.#locked(async (lock) => {
      try {
        await fn(await this.#sync(), lock);
      } catch (error) {
        // The file may hold part of what failed (a short write): re-read it next time.
        if (!(error instanceof NotFoundError || error instanceof AlreadyExistsError)) await this.#forget();
        throw error;
      }
    });
  }

  async #sync(): Promise<WriterState> {
    let info: Stats;
    try {
      // Synchronous metadata calls of microseconds. While the file we know is still linked,
      // fstat of our handle tells the same as a stat of the path (its size: appends by hand;
      // its links: replaced or removed) without walking the path.
      const known = this.#state ? fstatSync(this.#state.handle.fd) : undefined;
      info = known && known.nlink > 0 ? known : statSync(this.path);
    } catch (error) {
      await this.#forget();
      if (isMissing(error)) throw this.#notFound(error);
      throw error;
    }
    let state = this.#state;
    if (!state || !sameFile(state, info) || info.size < state.size) {
      // First write of this process, or another process rewrote the file: read it all once.
      await this.#forget();
      state = {
        dev: info.dev,
        ino: info.ino,
        birthtimeMs: info.birthtimeMs,
        size: 0,
        lines: 0,
        header: undefined,
        newline: "\n",
        ids: new IdSet(),
        handle: await this.#openHandle(info),
      };
      // Owned from here on: a catch-up that fails (a malformed file) drops it, handle and all.
      this.#state = state;
    }
    if (info.size > state.size) await catchUp(state, info.size, this.path);
    this.#state = state;
    return state;
  }

  /** Rewrite the whole file (see {@link rewriteFile}) and move the writer state onto the new one. */
  async #rewrite(state: WriterState, lock: TableLock | undefined, header: readonly string[], change: TableChange): Promise<void> {
    // The rewrite indexes the new file as it writes it: the old index goes first, so the two
    // never live together (~45 MB each at 10M rows). Should the rewrite fail, the state is
    // dropped below and rebuilt from the file by the next write.
    state.ids = new IdSet();
    try {
      const { info, lines, ids } = await rewriteFile(this.path, state, header, change, {
        beforeReplace: () => {
          if (lock && !lock.owned()) throw lock.lostError(this.#describe);
        },
        notFound: (id) => this.#rowNotFound(id),
      });
      // The handle still points at the old, now unlinked, file: reopen on the new one.
      await state.handle.close().catch(() => undefined);
      Object.assign(state, {
        dev: info.dev,
        ino: info.ino,
        birthtimeMs: info.birthtimeMs,
        size: info.size,
        lines,
        header: [...header],
        ids,
        handle: await this.#openHandle(info),
      });
      if (lock) {
        lock.commit(state);
        if (!lock.owned()) throw lock.lostError(this.#describe);
      }
    } catch (error) {
      await this.#forget();
      throw error;
    }
  }
}
