/**
 * The input side of `map`: reads the next item while a slot is free, one read at a time
 * (iterators are not required to support concurrent `next()` calls), sync or async.
 * A slot is held from the moment an item is read until its outcome is handed out
 * ({@link InputPump.release}); never more than `limit` at once.
 */
export class InputPump<I> {
  /** The input has no more items (or failed, or the map was cancelled while reading). */
  done = false;
  /** What the input threw, when it did. */
  error: { error: unknown } | undefined;
  /** A read is in flight. */
  pulling = false;
  /** Slots held: items read (or being read) and not yet handed out. */
  held = 0;
  #nextIndex = 0;
  readonly #iterator: AsyncIterator<I> | Iterator<I>;
  readonly #limit: number;
  readonly #cancelled: () => boolean;
  readonly #start: (index: number, item: I) => void;
  readonly #changed: () => void;

  /**
   * @param start called with each item read and its index (indexes only for started items)
   * @param changed called when an async read ends (something may be ready to hand out)
   */
  constructor(iterator: AsyncIterator<I> | Iterator<I>, limit: number, cancelled: () => boolean, start: (index: number, item: I) => void, changed: () => void) {
    this.#iterator = iterator;
    this.#limit = limit;
    this.#cancelled = cancelled;
    this.#start = start;
    this.#changed = changed;
  }

  /** An outcome was handed out: its slot is free. */
  release(): void {
    this.held--;
  }

  /** Read items while a slot is free; an async read continues the filling when it ends. */
  fill(): void {
    while (!this.pulling && !this.done && this.held < this.#limit && !this.#cancelled()) {
      this.pulling = true;
      this.held++;
      let step: IteratorResult<I> | Promise<IteratorResult<I>>;
      try {
        step = this.#iterator.next();
      } catch (error) {
        this.#failed(error);
        return;
      }
      if (step instanceof Promise || typeof (step as { then?: unknown }).then === "function") {
        Promise.resolve(step).then(
          (r) => {
            // Cancelled while reading: the item is not started.
            this.#read(r, this.#cancelled());
            this.fill();
            this.#changed();
          },
          (error: unknown) => {
            this.#failed(error);
            this.#changed();
          },
        );
        return;
      }
      this.#read(step as IteratorResult<I>, false);
    }
  }

  /** Ask the input to finish without waiting for it (a pending read cannot be interrupted). */
  abandon(): void {
    if (this.done) return;
    const ret = (this.#iterator as AsyncIterator<I>).return?.();
    if (ret && typeof (ret as Promise<unknown>).then === "function") (ret as Promise<unknown>).catch(() => undefined);
  }

  #read(r: IteratorResult<I>, cancelled: boolean): void {
    this.pulling = false;
    if (r.done || cancelled) {
      this.held--;
      if (r.done) this.done = true;
    } else this.#start(this.#nextIndex++, r.value);
  }

  #failed(error: unknown): void {
    this.pulling = false;
    this.held--;
    this.done = true;
    this.error = { error };
  }
}
