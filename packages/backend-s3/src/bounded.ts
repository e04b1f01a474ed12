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

/** Limits of {@link mapOrdered}: calls in flight, and optionally their total weight (bytes). */
export interface ReadAhead<T> {
  /** Most calls running or finished and not yet yielded. */
  window: number;
  /** Most total weight of those calls; one call always runs, however heavy. Default: no limit. */
  budget?: number;
  /** The weight of an item (its size in bytes); unknown sizes weigh 0. */
  weight?: (item: T) => number;
}

/**
 * Start `fn` for each item with up to `limits.window` running ahead (and, with a budget, up
 * to `limits.budget` of their weight), and yield results in input order as soon as each is
 * ready: ordered streaming with bounded memory and parallelism.
 */
export async function* mapOrdered<T, R>(items: readonly T[], limits: ReadAhead<T>, fn: (item: T) => Promise<R>): AsyncGenerator<R> {
  const { window, budget = Infinity, weight = () => 0 } = limits;
  const running: { result: Promise<R>; weight: number }[] = [];
  let held = 0;
  let next = 0;
  const fill = (): void => {
    while (running.length < window && next < items.length) {
      const w = weight(items[next]!);
      if (running.length > 0 && held + w > budget) return;
      const result = fn(items[next++]!);
      result.catch(() => undefined); // awaited below in order; avoid unhandled rejections meanwhile
      running.push({ result, weight: w });
      held += w;
    }
  };
  fill();
  while (running.length > 0) {
    const head = running.shift()!;
    const value = await head.result;
    held -= head.weight;
    fill();
    yield value;
  }
}
