import { hasErrorCode } from "../errors.js";
import type { Table } from "../storage/table.js";
import type { ResultRow } from "./result-row.js";

/**
 * Group commit: results are appended as they complete; those that complete while a write
 * is under way go together in the next write. `backlog` lets the caller wait when the
 * store falls behind (backpressure reaches the executor through `map`).
 */
export class ResultWriter {
  readonly #table: Table;
  /** Dataset row id -> id of the error row an earlier run left for it. */
  readonly #replace: Map<string, string>;
  #pending: { row: ResultRow; replaces: string | undefined }[] = [];
  #writing: Promise<void> | undefined;
  #writingSince: number | undefined;
  #failure: { error: unknown } | undefined;

  constructor(table: Table, replace: Map<string, string>) {
    this.#table = table;
    this.#replace = replace;
  }

  get backlog(): number {
    return this.#pending.length;
  }

  /** Since when (ms since the epoch) the write under way has been waiting, if one is. */
  get writingSince(): number | undefined {
    return this.#writingSince;
  }

  add(row: ResultRow): void {
    if (this.#failure) throw this.#failure.error;
    // A redone failure replaces its error row, keeping one result per dataset row.
    const replaces = this.#replace.get(row.dataset_row_id);
    if (replaces !== undefined) this.#replace.delete(row.dataset_row_id);
    this.#pending.push({ row, replaces });
    this.#kick();
  }

  #kick(): void {
    if (this.#writing || this.#pending.length === 0) return;
    const batch = this.#pending;
    this.#pending = [];
    this.#writingSince = Date.now();
    this.#writing = this.#write(batch).then(
      () => {
        this.#writing = this.#writingSince = undefined;
        this.#kick();
      },
      (error: unknown) => {
        this.#writing = this.#writingSince = undefined;
        this.#failure = { error };
      },
    );
  }

  async #write(batch: { row: ResultRow; replaces: string | undefined }[]): Promise<void> {
    const appends: ResultRow[] = [];
    for (const { row, replaces } of batch) {
      if (replaces !== undefined) await this.#table.update(replaces, { ...row, _row_id: replaces });
      else appends.push(row);
    }
    if (appends.length === 0) return;
    try {
      await this.#table.appendMany(appends);
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
      await this.#table.update(row._row_id, row);
    }
  }

  /** Wait until the current write is done (throws its error). */
  async settle(): Promise<void> {
    while (this.#writing) await this.#writing;
    if (this.#failure) throw this.#failure.error;
  }

  /** Write everything still pending. */
  async flush(): Promise<void> {
    for (;;) {
      await this.settle();
      if (this.#pending.length === 0) return;
      this.#kick();
    }
  }
}
