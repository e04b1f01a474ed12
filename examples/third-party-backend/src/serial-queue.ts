/**
 * Runs async tasks one at a time per key. Every writer of a table (append, update, delete)
 * goes through the table file's key, so two writes in one process never interleave and a
 * rewrite never loses an append that raced with it.
 *
 * The queues are module-wide on purpose: two backend instances over the same folder in one
 * process share them. Writers in other processes are not coordinated (see README, Limits).
 */
const tails = new Map<string, Promise<unknown>>();

export async function runSerially<T>(key: string, task: () => Promise<T>): Promise<T> {
  const previous = tails.get(key) ?? Promise.resolve();
  const current = previous.then(task);
  // The next task waits for this one whatever its outcome: this task's caller handles its error.
  const settled = current.catch(() => undefined);
  tails.set(key, settled);
  try {
    return await current;
  } finally {
    // Forget the key once nothing is queued behind this task, so the map does not grow forever.
    if (tails.get(key) === settled) tails.delete(key);
  }
}
