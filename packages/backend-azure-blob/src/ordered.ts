/**
 * `fn` over `items` with at most `limit` calls in flight, results yielded in input order.
 * A consumer that stops early leaves no unhandled rejection behind.
 */
export async function* orderedMap<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): AsyncGenerator<R> {
  const inflight: Promise<R>[] = [];
  let next = 0;
  const start = () => {
    const p = fn(items[next++]!);
    p.catch(() => undefined);
    inflight.push(p);
  };
  while (next < items.length && inflight.length < limit) start();
  while (inflight.length > 0) {
    const result = await inflight.shift()!;
    if (next < items.length) start();
    yield result;
  }
}
