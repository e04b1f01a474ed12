/** Rows claimed in one append at most. */
export const CLAIM_BATCH = 256;

/** Yielded when the source has nothing ready right now (or a batch is full): time to claim what was gathered. */
export const IDLE: unique symbol = Symbol("idle");

/**
 * The items of `source`, with {@link IDLE} between them whenever the source has nothing
 * ready at once or `max` items came since the last IDLE. Lets a consumer batch work (one
 * storage append per batch) without ever waiting for a batch to fill: a slow upstream
 * stage's rows go on one by one.
 */
export async function* readyBatches<T>(source: AsyncIterable<T>, max: number, gathering: () => boolean): AsyncGenerator<T | typeof IDLE> {
  const it = source[Symbol.asyncIterator]();
  let since = 0;
  let next = it.next();
  for (;;) {
    // Whether the next item is ready now: it wins the race against a macrotask.
    const ready = !gathering() ? await next : await Promise.race([next, new Promise<typeof IDLE>((resolve) => setImmediate(() => resolve(IDLE)))]);
    if (ready === IDLE) {
      since = 0;
      yield IDLE;
      continue;
    }
    if (ready.done) return;
    yield ready.value;
    next = it.next();
    if (++since >= max) {
      since = 0;
      yield IDLE;
    }
  }
}
