/**
 * Run `fn` over `items` with at most `limit` calls in flight; results in input order.
 * The first failure rejects (calls already running finish first).
 */
export async function mapBounded<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    while (!failed && next < items.length) {
      const i = next++;
      try {
        results[i] = await fn(items[i]!, i);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/**
 * Start `fn` for each item with up to `window` running ahead, and yield results in input
 * order as soon as each is ready: ordered streaming with bounded memory and parallelism.
 */
export async function* mapOrdered<T, R>(items: readonly T[], window: number, fn: (item: T) => Promise<R>): AsyncGenerator<R> {
  const running: Promise<R>[] = [];
  let next = 0;
  const fill = (): void => {
    while (running.length < window && next < items.length) {
      const p = fn(items[next++]!);
      p.catch(() => undefined); // awaited below in order; avoid unhandled rejections meanwhile
      running.push(p);
    }
  };
  fill();
  while (running.length > 0) {
    const value = await running.shift()!;
    fill();
    yield value;
  }
}
