import type { FunctionJob, JobResult, RunContext } from "../contract.js";
import { toJobError } from "../errors.js";

/**
 * Run a function job in this thread. When the signal aborts, the job resolves at once with
 * the abort reason and the function's signal is aborted: code that honours it stops; code
 * that ignores it cannot be killed in-process (use a module job for that: its worker is
 * terminated).
 */
export function runFunction<T>(job: FunctionJob<unknown, T>, context: RunContext): Promise<JobResult<T>> {
  const { signal } = context;
  const start = performance.now();
  if (signal.aborted) return Promise.resolve({ ok: false, error: toJobError(signal.reason), durationMs: 0 });
  return new Promise((resolve) => {
    let settled = false;
    const settle = (result: JobResult<T>): void => {
      if (settled) return;
      settled = true;
      signal.removeEventListener("abort", onAbort);
      resolve(result);
    };
    const onAbort = (): void => settle({ ok: false, error: toJobError(signal.reason), durationMs: performance.now() - start });
    signal.addEventListener("abort", onAbort, { once: true });
    let pending: T | Promise<T>;
    try {
      pending = job.fn(job.input, { signal, attempt: context.attempt, index: context.index });
    } catch (error) {
      settle({ ok: false, error: toJobError(error), durationMs: performance.now() - start });
      return;
    }
    Promise.resolve(pending).then(
      (value) => settle({ ok: true, value, durationMs: performance.now() - start }),
      (error: unknown) => settle({ ok: false, error: toJobError(error), durationMs: performance.now() - start }),
    );
  });
}
