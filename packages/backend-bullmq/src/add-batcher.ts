import { GroupCommitQueue } from "@themis/core/backend";
import type { JobsOptions, Queue } from "bullmq";
import type { WireJob } from "./wire.js";

interface Entry {
  readonly name: string;
  readonly data: WireJob;
  readonly opts: JobsOptions;
}

/**
 * Adds jobs in batches (core's GroupCommitQueue): the adds made while an `addBulk` is in
 * flight go to Redis together in the next one (one round trip), as a hand-written producer
 * would. A failed batch fails each of its adds (their callers retry them one by one).
 */
export class AddBatcher {
  readonly #group: GroupCommitQueue<Entry>;

  constructor(queue: Queue) {
    this.#group = new GroupCommitQueue<Entry>(async (entries) => {
      await queue.addBulk(entries.map(({ name, data, opts }) => ({ name, data, opts })));
    });
  }

  add(name: string, data: WireJob, opts: JobsOptions): Promise<void> {
    return this.#group.enqueue({ name, data, opts });
  }
}
