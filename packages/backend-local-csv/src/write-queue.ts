// Group commit for one table: writes run one at a time, in order; appends queued behind a
// write in flight go together in the next write.
import type { StoredRow } from "@themis/core";

/** A queued append; `settled` once the group's writer refused it on its own (duplicate id). */
export type QueuedAppend = { kind: "append"; rows: readonly StoredRow[]; resolve: () => void; reject: (error: unknown) => void; settled: boolean };
type QueuedOther = { kind: "other"; run: () => Promise<void>; resolve: () => void; reject: (error: unknown) => void; settled: boolean };
type QueuedWrite = QueuedAppend | QueuedOther;

// Appends queued behind a write in flight, merged into one write (group commit).
const MAX_GROUPED_APPENDS = 1000;

export class WriteQueue {
  readonly #ops: QueuedWrite[] = [];
  readonly #appendGroup: (group: QueuedAppend[]) => Promise<void>;
  #draining = false;
  /** Settles when every write queued so far has: reads wait for it, so they see earlier writes. */
  lastWrite: Promise<void> = Promise.resolve();

  /** `appendGroup` writes a group of appends; it may settle some of them itself (refusals). */
  constructor(appendGroup: (group: QueuedAppend[]) => Promise<void>) {
    this.#appendGroup = appendGroup;
  }

  enqueue(op: { kind: "append"; rows: readonly StoredRow[] } | { kind: "other"; run: () => Promise<void> }): Promise<void> {
    const done = new Promise<void>((resolve, reject) => this.#ops.push({ ...op, resolve, reject, settled: false } as QueuedWrite));
    this.lastWrite = done.catch(() => undefined);
    if (!this.#draining) void this.#drain();
    return done;
  }

  async #drain(): Promise<void> {
    this.#draining = true;
    try {
      while (this.#ops.length > 0) {
        const first = this.#ops[0]!;
        if (first.kind === "other") {
          this.#ops.shift();
          await first.run().then(first.resolve, first.reject);
          continue;
        }
        let n = 1;
        while (n < this.#ops.length && this.#ops[n]!.kind === "append" && n < MAX_GROUPED_APPENDS) n++;
        const group = this.#ops.splice(0, n) as QueuedAppend[];
        try {
          await this.#appendGroup(group);
          // Acknowledge only now: written, committed in the lock, and the lock checked to be
          // still ours after the write. A crash before this point leaves the group to be
          // rolled back, and none of it was acknowledged.
          for (const op of group) if (!op.settled) op.resolve();
        } catch (error) {
          for (const op of group) if (!op.settled) op.reject(error);
        }
      }
    } finally {
      this.#draining = false;
    }
  }
}
