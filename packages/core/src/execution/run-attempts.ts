import type { ExecutionBackend, JobFailure, JobResult, MapOutcome } from "./contract.js";
import { whenAborted } from "./abort-listeners.js";
import { TimeoutError, toJobError } from "./errors.js";
import { backoffDelay, type resolveRetry } from "./retry.js";
import { type Task, jobFor } from "./task.js";

/** What {@link runAttempts} needs of `map`'s options. */
export interface AttemptSettings {
  readonly timeout?: number;
  readonly runKey?: string | ((item: unknown, index: number) => string | undefined);
}

/**
 * Run one item of a `map`: its job, then again after a backoff while the retry policy says
 * so, each attempt with its own timeout. Never throws for the job's sake: a failure is the
 * outcome (only a throwing `retryOn` rejects). `cancel` stops the job and any backoff.
 */
export async function runAttempts<I, O>(
  executor: ExecutionBackend,
  task: Task<I, O>,
  item: I,
  index: number,
  settings: AttemptSettings,
  retry: ReturnType<typeof resolveRetry>,
  cancel: AbortSignal,
): Promise<MapOutcome<O>> {
  const start = performance.now();
  const runKey = typeof settings.runKey === "function" ? settings.runKey(item, index) : settings.runKey;
  const key = runKey === undefined ? {} : { runKey };
  for (let attempt = 1; ; attempt++) {
    let result = await attemptOnce<I, O>(executor, task, item, index, attempt, key, settings.timeout, cancel);
    if (!result.ok && attempt <= retry.retries && !cancel.aborted && retry.retryOn(result.error, result as JobFailure, attempt)) {
      if (await sleep(backoffDelay(retry, attempt), cancel)) continue;
      result = { ...result, error: toJobError(cancel.reason) };
    }
    // A new object: the executor's result may be shared or frozen.
    return { ...result, attempts: attempt, durationMs: performance.now() - start, index } as MapOutcome<O>;
  }
}

async function attemptOnce<I, O>(
  executor: ExecutionBackend,
  task: Task<I, O>,
  item: I,
  index: number,
  attempt: number,
  key: { runKey?: string },
  timeout: number | undefined,
  cancel: AbortSignal,
): Promise<JobResult<O>> {
  // Without a timeout a job stops only when the whole map is cancelled: it can share the
  // map's signal. With one, each attempt gets its own, aborted by either.
  let signal = cancel;
  let timer: NodeJS.Timeout | undefined;
  let unregister: (() => void) | undefined;
  if (timeout !== undefined) {
    const jobAbort = new AbortController();
    signal = jobAbort.signal;
    unregister = whenAborted(cancel, () => jobAbort.abort(cancel.reason));
    timer = setTimeout(() => jobAbort.abort(new TimeoutError(timeout, { backend: executor.name })), timeout);
  }
  let result: JobResult<O>;
  try {
    if (signal.aborted) throw signal.reason;
    result = await executor.run<O>(jobFor(task, item, index), { signal, attempt, index, ...key });
  } catch (error) {
    result = { ok: false, error: toJobError(signal.aborted ? signal.reason : error) };
  } finally {
    clearTimeout(timer);
    unregister?.();
  }
  // A stopped job failed because it was stopped, whatever the executor saw (a killed
  // process, a terminated worker): report the reason, keep the details.
  if (signal.aborted && !result.ok) result = { ...result, error: toJobError(signal.reason) };
  return result;
}

/** Sleep `ms`, or less when `signal` aborts (resolves false then). */
function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const done = (completed: boolean): void => {
      clearTimeout(timer);
      signal.removeEventListener("abort", onAbort);
      resolve(completed);
    };
    const onAbort = (): void => done(false);
    const timer = setTimeout(() => done(true), ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
