import type { JobsOptions, Queue } from "bullmq";
import type { WireJob } from "./wire.js";

interface Entry {
  readonly name: string;
  readonly data: WireJob;
  readonly opts: JobsOptions;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Adds jobs in batches: every `add` made in the same turn of the event loop goes to Redis
 * in one `addBulk` (one round trip), as a hand-written producer would. `map` starts its
 * first `concurrency` jobs at once, so a run's ramp-up costs one round trip, not hundreds.
 * A failed batch fails each of its adds (their callers retry them one by one).
 */
export class AddBatcher {
  readonly #queue: Queue;
  #pending: Entry[] = [];
  #scheduled = false;

  constructor(queue: Queue) {
    this.#queue = queue;
  }

  add(name: string, data: WireJob, opts: JobsOptions): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#pending.push({ name, data, opts, resolve, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => void this.#flush());
      }
    });
  }

  async #flush(): Promise<void> {
    const batch = this.#pending;
    this.#pending = [];
    this.#scheduled = false;
    try {
      await this.#queue.addBulk(batch.map(({ name, data, opts }) => ({ name, data, opts })));
      for (const entry of batch) entry.resolve();
    } catch (error) {
      for (const entry of batch) entry.reject(error);
    }
  }
}
