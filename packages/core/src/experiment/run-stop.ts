/** Why the run stops early, decided by whoever stops it first. */
export interface Stop {
  controller: AbortController;
  status?: "cancelled" | "failed";
  reason?: string;
  error?: unknown;
  /** Rejects a few seconds after the storage deadline stopped the run: writes still hanging are given up. */
  gaveUp: Promise<never>;
  giveUp: (error: unknown) => void;
}

/** Grace given to hanging writes once the storage deadline has stopped the run. */
const GIVE_UP_GRACE_MS = 5000;

export function newStop(): Stop {
  let giveUp!: (error: unknown) => void;
  const gaveUp = new Promise<never>((_, reject) => (giveUp = (error) => setTimeout(() => reject(error), GIVE_UP_GRACE_MS).unref()));
  gaveUp.catch(() => undefined);
  return { controller: new AbortController(), gaveUp, giveUp };
}

export function stopRun(stop: Stop, status: "cancelled" | "failed", reason: string, error?: unknown): void {
  if (stop.controller.signal.aborted) return;
  stop.status = status;
  stop.reason = reason;
  if (error !== undefined) stop.error = error;
  stop.controller.abort(error ?? new Error(reason));
}

/** A storage write, given up when the storage deadline has stopped the run and it still hangs. */
export function bounded<T>(stop: Stop, write: Promise<T>): Promise<T> {
  return Promise.race([write, stop.gaveUp]);
}
