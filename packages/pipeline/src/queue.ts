/**
 * An unbounded async queue: producers `push` synchronously (upstream stages emitting rows),
 * one consumer iterates. Unbounded on purpose: an upstream stage never waits for a slow
 * downstream one, and the items are small (a row id, a hash, the upstream's output). A
 * producer that reads from storage may wait with {@link below} to bound it.
 */
export class AsyncQueue<T> implements AsyncIterable<T> {
  #items: T[] = [];
  #head = 0;
  #ended = false;
  #wake: (() => void) | undefined;
  #room: { size: number; resolve: () => void } | undefined;

  push(item: T): void {
    this.#items.push(item);
    this.#notify();
  }

  end(): void {
    this.#ended = true;
    this.#notify();
    this.#room?.resolve();
  }

  /** Items waiting. */
  get size(): number {
    return this.#items.length - this.#head;
  }

  /** Resolves once fewer than `size` items wait (or the queue ended). One waiter at a time. */
  below(size: number): Promise<void> {
    if (this.size < size || this.#ended) return Promise.resolve();
    return new Promise((resolve) => (this.#room = { size, resolve }));
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    for (;;) {
      if (this.#head < this.#items.length) {
        const item = this.#items[this.#head] as T;
        this.#items[this.#head++] = undefined as T;
        // Compact now and then so a long stream does not keep every consumed slot.
        if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
          this.#items = this.#items.slice(this.#head);
          this.#head = 0;
        }
        if (this.#room && this.size < this.#room.size) {
          const { resolve } = this.#room;
          this.#room = undefined;
          resolve();
        }
        yield item;
      } else if (this.#ended) {
        return;
      } else {
        await new Promise<void>((resolve) => (this.#wake = resolve));
      }
    }
  }
}
