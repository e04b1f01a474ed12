/**
 * Serializes async work per key within this process. Keys are absolute table paths; the
 * registry lives on `globalThis` so two copies of this package loaded in one process
 * (bundles, mismatched installs) still queue behind each other instead of spinning on
 * each other's file locks.
 */
const REGISTRY = Symbol.for("@themis/backend-local-csv/keyed-mutex");
type Tails = Map<string, Promise<void>>;
const tails: Tails = ((globalThis as Record<symbol, unknown>)[REGISTRY] as Tails | undefined) ?? new Map();
(globalThis as Record<symbol, unknown>)[REGISTRY] = tails;

/** Run `fn` once every earlier call with the same key has settled. */
export async function withKeyedMutex<T>(key: string, fn: () => Promise<T>): Promise<T> {
  const previous = tails.get(key);
  let release!: () => void;
  const mine = new Promise<void>((resolve) => (release = resolve));
  const tail = previous ? previous.then(() => mine) : mine;
  tails.set(key, tail);
  try {
    if (previous) await previous;
    return await fn();
  } finally {
    release();
    if (tails.get(key) === tail) tails.delete(key);
  }
}
