import type { Dataset } from "../storage/table.js";

/**
 * The dataset's row count for progress totals, read in the background while the run sets
 * up (its reads overlap the setup's waits on files and subprocesses). A run waits for it
 * only briefly ({@link RowCount.within}): the first rows of a huge dataset do not wait for
 * a full extra pass over it, and its total comes with a later progress report.
 */
export class RowCount {
  #stopped = false;
  /** The count, or undefined when it was stopped or the read failed (the run's own read reports errors). */
  readonly done: Promise<number | undefined>;

  constructor(dataset: Dataset) {
    this.done = this.#count(dataset);
  }

  async #count(dataset: Dataset): Promise<number | undefined> {
    let n = 0;
    try {
      for await (const _ of dataset.entries()) {
        // Leaving the loop closes the stream (and its file or cursor).
        if (this.#stopped) return undefined;
        n++;
      }
      return n;
    } catch {
      return undefined;
    }
  }

  /** The count if it is known within `ms` milliseconds, else undefined (it goes on). */
  async within(ms: number): Promise<number | undefined> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<undefined>((resolve) => {
      timer = setTimeout(resolve, ms, undefined);
    });
    try {
      return await Promise.race([this.done, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Stop counting (the run ended first). */
  stop(): void {
    this.#stopped = true;
  }
}
