import { type Experiment, hasErrorCode } from "@themis/core";
import type { StoredResult } from "./cache.js";

/**
 * Writes a stage's results as they finish, one batch at a time: new rows in one
 * `appendMany`; a row that failed before under the same key replaces its error row (`update`). A write
 * error is kept and thrown by `flush`, and reported at once through `onError` so the
 * pipeline stops instead of computing rows it cannot store.
 */
export class ResultWriter {
  readonly #table: Experiment<StoredResult>;
  readonly #existing: Set<string>;
  readonly #onError: (error: unknown) => void;
  #pending: StoredResult[] = [];
  #draining: Promise<void> | undefined;
  #error: unknown;

  constructor(table: Experiment<StoredResult>, existing: Iterable<string>, onError: (error: unknown) => void) {
    this.#table = table;
    this.#existing = new Set(existing);
    this.#onError = onError;
  }

  add(row: StoredResult): void {
    this.#pending.push(row);
    this.#draining ??= this.#drain();
  }

  async #drain(): Promise<void> {
    try {
      while (this.#pending.length > 0 && this.#error === undefined) {
        const batch = this.#pending;
        this.#pending = [];
        const appends: StoredResult[] = [];
        const updates: StoredResult[] = [];
        for (const r of batch) (this.#existing.has(r._row_id) ? updates : appends).push(r);
        if (appends.length > 0) await this.#append(appends);
        for (const r of appends) this.#existing.add(r._row_id);
        for (const r of updates) await this.#table.update(r._row_id, r);
      }
    } catch (error) {
      this.#error = error;
      this.#onError(error);
    } finally {
      this.#draining = undefined;
    }
  }

  /**
   * One append for the batch; when a row is already there (a runner that lost its claim to
   * a takeover still finished it), the others row by row: each key keeps one result.
   */
  async #append(rows: StoredResult[]): Promise<void> {
    try {
      await this.#table.appendMany(rows);
    } catch (error) {
      if (!hasErrorCode(error, "ERR_THEMIS_ALREADY_EXISTS")) throw error;
      for (const r of rows) {
        await this.#table.append(r).catch((e: unknown) => {
          if (!hasErrorCode(e, "ERR_THEMIS_ALREADY_EXISTS")) throw e;
        });
      }
    }
  }

  /** Wait until everything added is written; throws the first write error. */
  async flush(): Promise<void> {
    while (this.#draining) await this.#draining;
    if (this.#error !== undefined) throw this.#error;
  }
}
