import { hasErrorCode } from "../errors.js";
import { type Table, appendOwned } from "../storage/table.js";
import type { ResultRow } from "./result-row.js";

/** Settings of a {@link ResultWriter}. */
export interface ResultWriterOptions {
  /**
   * How long a result may wait for others to share its write, in ms. One append per row
   * costs a store round trip (a lock, a write, a commit record) per row; 10 ms of waiting
   * turns a fast task's thousands of tiny appends into a few large ones, and is nothing
   * beside a task that takes seconds. Default: {@link DEFAULT_LINGER_MS}.
   */
  lingerMs?: number;
  /** A batch this big is written at once, without waiting. Default: {@link MAX_BATCH_ROWS}. */
  maxBatch?: number;
}

/** Default of {@link ResultWriterOptions.lingerMs}. */
export const DEFAULT_LINGER_MS = 10;
/** Default of {@link ResultWriterOptions.maxBatch}. */
export const MAX_BATCH_ROWS = 512;

interface Pending {
  row: ResultRow;
  replaces: string | undefined;
  onDurable: (() => void) | undefined;
}

/**
 * Group commit of result rows: results wait up to `lingerMs` (or until `maxBatch` of them
 * are there) and are appended together; those that complete while a write is under way go
 * in the next one. A row counts as done only once its write is acknowledged: `onDurable`
 * runs then, in order, for each row of the batch. A crash loses at most the rows still
 * waiting, and those were never counted (a resumed run redoes them). `backlog` lets the
 * caller wait when the store falls behind (backpressure reaches the executor through `map`).
 */
export class ResultWriter {
  readonly #table: Table;
  /** Dataset row id -> id of the error row an earlier run left for it. */
  readonly #replace: Map<string, string>;
  readonly #lingerMs: number;
  readonly #maxBatch: number;
  #pending: Pending[] = [];
  #writing: Promise<void> | undefined;
  #writingSince: number | undefined;
  #failure: { error: unknown } | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(table: Table, replace: Map<string, string>, options: ResultWriterOptions = {}) {
    this.#table = table;
    this.#replace = replace;
    this.#lingerMs = options.lingerMs ?? DEFAULT_LINGER_MS;
    this.#maxBatch = options.maxBatch ?? MAX_BATCH_ROWS;
  }

  get backlog(): number {
    return this.#pending.length;
  }

  /** Since when (ms since the epoch) the write under way has been waiting, if one is. */
  get writingSince(): number | undefined {
    return this.#writingSince;
  }

  /** Queue a result; `onDurable` runs once it is stored (never when its write fails). */
  add(row: ResultRow, onDurable?: () => void): void {
    if (this.#failure) throw this.#failure.error;
    // A redone failure replaces its error row, keeping one result per dataset row.
    const replaces = this.#replace.get(row.dataset_row_id);
    if (replaces !== undefined) this.#replace.delete(row.dataset_row_id);
    this.#pending.push({ row, replaces, onDurable });
    if (this.#pending.length >= this.#maxBatch || this.#lingerMs <= 0) this.#kick();
    else this.#timer ??= setTimeout(() => this.#kick(), this.#lingerMs);
  }

  #kick(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#writing || this.#pending.length === 0) return;
    const batch = this.#pending;
    this.#pending = [];
    this.#writingSince = Date.now();
    this.#writing = this.#write(batch).then(
      () => {
        this.#writing = this.#writingSince = undefined;
        for (const { onDurable } of batch) onDurable?.();
        // What came in meanwhile waited long enough: write it now.
        this.#kick();
      },
      (error: unknown) => {
        this.#writing = this.#writingSince = undefined;
        this.#failure = { error };
      },
    );
  }

  async #write(batch: Pending[]): Promise<void> {
    const appends: ResultRow[] = [];
    for (const { row, replaces } of batch) {
      if (replaces !== undefined) await this.#table.update(replaces, { ...row, _row_id: replaces });
      else appends.push(row);
    }
    if (appends.length === 0) return;
    try {
      // Rows built here, fresh: checked without a copy.
      await this.#table[appendOwned](appends);
    } catch (error) {
      if (!hasErrorCode(error, "ERR_THEMIS_ALREADY_EXISTS")) throw error;
      // A row's result is already there (a runner taken over as stale wrote it after all):
      // the newest result replaces it, so the row keeps exactly one.
      for (const row of appends) await this.#appendOrReplace(row);
    }
  }

  async #appendOrReplace(row: ResultRow): Promise<void> {
    try {
      await this.#table.append(row);
    } catch (error) {
      if (!hasErrorCode(error, "ERR_THEMIS_ALREADY_EXISTS")) throw error;
      // An error never replaces a stored result: a runner frozen past its heartbeat (taken
      // over meanwhile) often comes back with its rows timed out, and would otherwise turn
      // the other runner's good results into errors.
      if (row.status !== "ok") return;
      await this.#table.update(row._row_id, row);
    }
  }

  /** Write what is pending now, without waiting for more, and wait until that write is done (throws its error). */
  async settle(): Promise<void> {
    this.#kick();
    while (this.#writing) await this.#writing;
    if (this.#failure) throw this.#failure.error;
  }

  /** Write everything still pending. */
  async flush(): Promise<void> {
    for (;;) {
      await this.settle();
      if (this.#pending.length === 0) return;
    }
  }
}
