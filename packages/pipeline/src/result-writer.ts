import { type Experiment, hasErrorCode } from "@themis/core";
import { appendOwned } from "@themis/core/backend";
import { type ResultEntry, type StoredResult, asEntry, entryOf } from "./cache.js";
import type { StageIndex } from "./stage-index.js";

/** Below this many pending rows, a write waits one turn of the event loop for more. */
const MIN_BATCH = 256;

/** A result to write, and the index entry that describes it. */
interface Pending {
  row: StoredResult;
  stored: boolean;
  entry: ResultEntry;
}

/**
 * Writes a stage's results as they finish, one batch at a time: new rows in one
 * `appendMany`; a row that failed before under the same key replaces its error row (`update`). A write
 * error is kept and thrown by `flush`, and reported at once through `onError` so the
 * pipeline stops instead of computing rows it cannot store.
 *
 * Each batch is indexed (see {@link StageIndex}) after it is stored, never before: a crash in
 * between leaves results the index does not know (their rows run again and find them
 * stored), never an index entry without its result.
 */
export class ResultWriter {
  readonly #table: Experiment<StoredResult>;
  readonly #onError: (error: unknown) => void;
  readonly #index: StageIndex | undefined;
  #pending: Pending[] = [];
  #draining: Promise<void> | undefined;
  /** Ids of results found stored already: indexed by {@link flush}. */
  readonly #unindexed = new Set<string>();
  #elsewhere: ResultEntry[] = [];
  #error: unknown;
  /** Waiters of {@link room}: woken when a write takes the pending rows (or fails). */
  #roomWaiters: (() => void)[] = [];

  constructor(table: Experiment<StoredResult>, onError: (error: unknown) => void, index?: StageIndex) {
    this.#table = table;
    this.#onError = onError;
    this.#index = index;
  }

  /**
   * Write `row`: an update when the table already holds its id (`stored`), else an append.
   * `entry` indexes it (made from `row` when not given).
   */
  add(row: StoredResult, stored: boolean, entry: ResultEntry = entryOf(row)): void {
    this.#pending.push({ row, stored, entry });
    // Not after an error: #drain would end at once, clearing #draining before `??=` stored
    // its settled promise, and flush would await that promise forever (a microtask spin).
    if (this.#error === undefined) this.#draining ??= this.#drain();
  }

  /** Rows added and not yet taken by a write. */
  get backlog(): number {
    return this.#pending.length;
  }

  /**
   * Resolves once fewer than `limit` rows wait to be written (or writing failed): the stage
   * stops taking finished rows meanwhile, so that a storage slower than the tasks holds the
   * rows back in the executor (which then reads no more input), not in memory here.
   */
  room(limit: number): Promise<void> {
    if (this.#pending.length < limit || this.#error !== undefined || this.#draining === undefined) return Promise.resolve();
    return new Promise((resolve) => this.#roomWaiters.push(resolve));
  }

  #wakeRoom(): void {
    const waiters = this.#roomWaiters;
    this.#roomWaiters = [];
    for (const wake of waiters) wake();
  }

  async #drain(): Promise<void> {
    try {
      while (this.#pending.length > 0 && this.#error === undefined) {
        // A few rows at a time cost a storage append (and an index append) each: let rows
        // finishing meanwhile join the batch (one turn of the event loop, not a timer).
        if (this.#pending.length < MIN_BATCH) await new Promise<void>((resolve) => setImmediate(resolve));
        const batch = this.#pending;
        this.#pending = [];
        this.#wakeRoom();
        const appends: Pending[] = [];
        const updates: Pending[] = [];
        for (const p of batch) (p.stored ? updates : appends).push(p);
        if (appends.length > 0) {
          // Not `#index?.append(await this.#append(...))`: without an index, `?.` would skip the write too.
          const appended = await this.#append(appends);
          await this.#index?.append(appended, this.#table);
        }
        for (const p of updates) {
          await this.#table.update(p.row._row_id, p.row);
          await this.#index?.update(p.entry);
        }
      }
    } catch (error) {
      this.#error = error;
      this.#onError(error);
    } finally {
      this.#draining = undefined;
      this.#wakeRoom();
    }
  }

  /**
   * One append for the batch; when a row is already there (a runner that lost its claim to
   * a takeover still finished it, or a crash came between storing it and indexing it), the
   * others row by row: each key keeps one result. Returns the rows appended, to index; the
   * ones already there are indexed by {@link flush}, as stored.
   */
  async #append(pending: Pending[]): Promise<ResultEntry[]> {
    try {
      // Rows built by resultOf for this write alone, id first: no copy needed.
      await this.#table[appendOwned](pending.map((p) => p.row));
      return pending.map((p) => p.entry);
    } catch (error) {
      if (!hasErrorCode(error, "ERR_THEMIS_ALREADY_EXISTS")) throw error;
      const appended: ResultEntry[] = [];
      for (const { row, entry } of pending) {
        try {
          await this.#table.append(row);
          appended.push(entry);
        } catch (e) {
          if (!hasErrorCode(e, "ERR_THEMIS_ALREADY_EXISTS")) throw e;
          this.#unindexed.add(row._row_id);
        }
      }
      return appended;
    }
  }

  /**
   * Index the results that were already stored when this run computed them again: the
   * stored one is kept, so the index describes it. One read of the table for all of them
   * (reading each by id costs a scan each on some backends).
   */
  async #indexStored(): Promise<void> {
    if (this.#unindexed.size === 0 || this.#index === undefined) return;
    const stored: ResultEntry[] = [];
    for await (const row of this.#table.entries()) if (this.#unindexed.has(row._row_id)) stored.push(asEntry(row));
    await this.#index.append(stored, this.#table);
    this.#unindexed.clear();
  }

  /** A result another runner stored: indexed by {@link flush} (it may have crashed before indexing it). */
  storedElsewhere(row: StoredResult): void {
    this.#elsewhere.push(asEntry(row));
  }

  /** Wait until everything added is written; throws the first write error. */
  async flush(): Promise<void> {
    while (this.#draining) await this.#draining;
    if (this.#error !== undefined) throw this.#error;
    await this.#indexStored();
    const elsewhere = this.#elsewhere.splice(0);
    if (elsewhere.length > 0) await this.#index?.append(elsewhere, this.#table);
  }
}
