/** What the exit hook needs of a held lock. */
interface Releasable {
  releaseIfIdle(): void;
}

// Locks held by this process: given back when it exits without closing its backends (a
// lease would otherwise stay until another process finds the owner dead).
const HELD = new Set<Releasable>();
let exitHook = false;

/** Remember a lock this process took, to give it back at exit if still idle then. */
export function holdUntilExit(lock: Releasable): void {
  HELD.add(lock);
  if (exitHook) return;
  exitHook = true;
  process.once("exit", () => {
    for (const held of HELD) held.releaseIfIdle();
  });
}

/** The lock was given back (or lost): nothing to do for it at exit. */
export function heldNoMore(lock: Releasable): void {
  HELD.delete(lock);
}
