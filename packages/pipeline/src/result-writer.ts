import type { Experiment } from "@themis/core";
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
        if (appends.length > 0) await this.#table.appendMany(appends);
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

  /** Wait until everything added is written; throws the first write error. */
  async flush(): Promise<void> {
    while (this.#draining) await this.#draining;
    if (this.#error !== undefined) throw this.#error;
  }
}
