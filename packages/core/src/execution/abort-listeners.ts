/**
 * Cheap per-job abort callbacks. `map` hands one signal to many jobs; registering each job
 * on that EventTarget (addEventListener / removeEventListener) costs more than a no-op job
 * itself. Here each signal gets a single listener and jobs join a Set.
 */
const callbacks = new WeakMap<AbortSignal, Set<() => void>>();

/**
 * Call `callback` once when `signal` aborts (at once, synchronously, if it already has).
 * Returns a function that unregisters it.
 */
export function whenAborted(signal: AbortSignal, callback: () => void): () => void {
  if (signal.aborted) {
    callback();
    return noop;
  }
  let set = callbacks.get(signal);
  if (!set) {
    const created = new Set<() => void>();
    callbacks.set(signal, created);
    signal.addEventListener(
      "abort",
      () => {
        for (const cb of [...created]) cb();
        created.clear();
      },
      { once: true },
    );
    set = created;
  }
  const entry = (): void => callback();
  set.add(entry);
  return () => set.delete(entry);
}

function noop(): void {}
