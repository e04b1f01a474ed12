/**
 * Options of {@link GroupCommitQueue}.
 */
export interface GroupCommitOptions {
  /** Most items written in one group (default 1000): bounds one write's size and memory. */
  readonly maxGroupSize?: number;
}

/**
 * What `writeGroup` answers: nothing when the whole group was written, or one entry per
 * item, `undefined` for an item written and an error for an item refused alone (a duplicate
 * id, say) while the others were written.
 */
// biome-ignore lint/suspicious/noConfusingVoidType: a writeGroup that returns nothing means "all written"
export type GroupOutcome = void | readonly (unknown | undefined)[];

type Queued<T> =
  | { readonly kind: "item"; readonly item: T; readonly resolve: () => void; readonly reject: (error: unknown) => void }
  | { readonly kind: "exclusive"; readonly run: () => Promise<void>; readonly resolve: () => void; readonly reject: (error: unknown) => void };

/**
 * Group commit: writes run one at a time, in order, and items queued while a write is in
 * flight go out together in the next one. A store where every write costs a round trip, a
 * lock or an fsync (a file, an object store, a queue) then does one write for a burst of
 * appends instead of one each, without waiting when nothing else is queued.
 *
 * Each `enqueue` resolves when the group holding its item is written (acknowledge only what
 * is stored), or rejects with that group's error or the error `writeGroup` gave it alone.
 * `exclusive` runs another kind of write (an update, a rewrite) in the same order.
 *
 * @example
 * ```ts
 * const queue = new GroupCommitQueue<StoredRow[]>(async (batches) => {
 *   await file.appendFile(batches.flat().map((r) => JSON.stringify(r) + "\n").join(""));
 * });
 * await queue.enqueue(rows); // alongside every append queued meanwhile: one write
 * ```
 */
export class GroupCommitQueue<T> {
  readonly #writeGroup: (items: readonly T[]) => Promise<GroupOutcome>;
  readonly #maxGroupSize: number;
  readonly #queue: Queued<T>[] = [];
  #draining = false;
  #idle: Promise<void> = Promise.resolve();

  constructor(writeGroup: (items: readonly T[]) => Promise<GroupOutcome>, options: GroupCommitOptions = {}) {
    const max = options.maxGroupSize ?? 1000;
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`maxGroupSize must be a positive integer, got ${max}`);
    this.#writeGroup = writeGroup;
    this.#maxGroupSize = max;
  }

  /** Queue `item` for the next group write; settles with its outcome. */
  enqueue(item: T): Promise<void> {
    return this.#push((resolve, reject) => ({ kind: "item", item, resolve, reject }));
  }

  /**
   * Queue a task of another kind (an update, a rewrite, a read snapshot), run alone in queue
   * order (between groups); settles with its value.
   */
  exclusive<R>(task: () => Promise<R>): Promise<R> {
    let value: { readonly result: R } | undefined;
    const run = async (): Promise<void> => {
      value = { result: await task() };
    };
    return this.#push((resolve, reject) => ({ kind: "exclusive", run, resolve, reject })).then(() => {
      // Set: `run` resolved before this (the queue resolves a task only after it finished).
      return (value as { readonly result: R }).result;
    });
  }

  /** Settles (never rejects) once every write queued so far has settled: reads wait for it to see earlier writes. */
  settled(): Promise<void> {
    return this.#idle;
  }

  #push(make: (resolve: () => void, reject: (error: unknown) => void) => Queued<T>): Promise<void> {
    const done = new Promise<void>((resolve, reject) => this.#queue.push(make(resolve, reject)));
    this.#idle = done.catch(() => undefined);
    if (!this.#draining) void this.#drain();
    return done;
  }

  async #drain(): Promise<void> {
    this.#draining = true;
    try {
      for (let first = this.#queue[0]; first !== undefined; first = this.#queue[0]) {
        if (first.kind === "exclusive") {
          this.#queue.shift();
          await first.run().then(first.resolve, first.reject);
          continue;
        }
        let n = 1;
        while (n < this.#queue.length && n < this.#maxGroupSize && this.#queue[n]?.kind === "item") n++;
        await this.#write(this.#queue.splice(0, n) as Extract<Queued<T>, { kind: "item" }>[]);
      }
    } finally {
      this.#draining = false;
    }
  }

  async #write(group: readonly Extract<Queued<T>, { kind: "item" }>[]): Promise<void> {
    let outcome: GroupOutcome;
    try {
      outcome = await this.#writeGroup(group.map((q) => q.item));
    } catch (error) {
      for (const q of group) q.reject(error);
      return;
    }
    group.forEach((q, i) => {
      const refused = outcome?.[i];
      if (refused === undefined) q.resolve();
      else q.reject(refused);
    });
  }
}
