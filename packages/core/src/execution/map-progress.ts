/** Progress of a `map` run, reported after every finished item. */
export interface MapProgress {
  /** Items finished (succeeded + failed). */
  readonly done: number;
  readonly succeeded: number;
  readonly failed: number;
  /** Jobs running now. */
  readonly running: number;
  /** Number of items when known (an array's length, or `options.total`). */
  readonly total: number | undefined;
  /** Time since the map started, in ms. */
  readonly elapsedMs: number;
  /** Items finished per second so far. */
  readonly ratePerSecond: number;
}

/** Counts a map's jobs and reports {@link MapProgress} after each finished one. */
export class ProgressCounter {
  running = 0;
  #succeeded = 0;
  #failed = 0;
  readonly #startedAt = performance.now();
  readonly #onProgress: ((progress: MapProgress) => void) | undefined;
  readonly #total: number | undefined;

  constructor(onProgress: ((progress: MapProgress) => void) | undefined, total: number | undefined) {
    this.#onProgress = onProgress;
    this.#total = total;
  }

  started(): void {
    this.running++;
  }

  settled(ok: boolean): void {
    this.running--;
    if (ok) this.#succeeded++;
    else this.#failed++;
    if (!this.#onProgress) return;
    const elapsedMs = performance.now() - this.#startedAt;
    const done = this.#succeeded + this.#failed;
    const progress = { done, succeeded: this.#succeeded, failed: this.#failed, running: this.running, total: this.#total, elapsedMs };
    try {
      this.#onProgress({ ...progress, ratePerSecond: elapsedMs > 0 ? (done * 1000) / elapsedMs : 0 });
    } catch {
      // A progress callback must not break the run.
    }
  }
}
