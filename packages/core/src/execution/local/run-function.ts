import type { FunctionJob, JobContext, JobResult, RunContext } from "../contract.js";
import { whenAborted } from "../abort-listeners.js";
import { toJobError } from "../errors.js";

/**
 * What a function job receives. Its signal is made on first use: a job that never looks at
 * it costs no AbortController, and listeners a job leaves on it go away with it instead of
 * piling up on the signal `map` shares between jobs.
 */
class LazyJobContext implements JobContext {
  readonly attempt: number;
  readonly index: number;
  readonly #parent: AbortSignal;
  #own: AbortController | undefined;
  #unlink: (() => void) | undefined;
  /** Set when the job was stopped by something other than the parent (the executor's close). */
  #stoppedWith: { reason: unknown } | undefined;

  constructor(parent: AbortSignal, attempt: number, index: number) {
    this.#parent = parent;
    this.attempt = attempt;
    this.index = index;
  }

  get signal(): AbortSignal {
    if (!this.#own) {
      const own = new AbortController();
      this.#own = own;
      const parent = this.#parent;
      if (this.#stoppedWith) own.abort(this.#stoppedWith.reason);
      else if (parent.aborted) own.abort(parent.reason);
      else this.#unlink = whenAborted(parent, () => own.abort(parent.reason));
    }
    return this.#own.signal;
  }

  /** Abort the job's signal (if it was made) with the parent's reason, or with `stop`'s. */
  abort(stop?: AbortSignal): void {
    if (stop) this.#stoppedWith = { reason: stop.reason };
    this.#own?.abort(stop ? stop.reason : this.#parent.reason);
  }

  /** The job is over: stop following the parent signal. */
  release(): void {
    this.#unlink?.();
  }
}

/**
 * Run a function job in this thread. When the signal aborts, the job resolves at once with
 * the abort reason and the function's signal is aborted: code that honours it stops; code
 * that ignores it cannot be killed in-process (use a module job for that: its worker is
 * terminated). `stop` (the executor's close) ends the job the same way.
 */
export function runFunction<T>(job: FunctionJob<unknown, T>, context: RunContext, stop?: AbortSignal): Promise<JobResult<T>> {
  const { signal } = context;
  const start = performance.now();
  if (signal.aborted) return Promise.resolve({ ok: false, error: toJobError(signal.reason), durationMs: 0 });
  if (stop?.aborted) return Promise.resolve({ ok: false, error: toJobError(stop.reason), durationMs: 0 });
  return new Promise((resolve) => {
    const jobContext = new LazyJobContext(signal, context.attempt, context.index);
    let settled = false;
    const settle = (result: JobResult<T>): void => {
      if (settled) return;
      settled = true;
      unregister();
      unregisterStop();
      jobContext.release();
      resolve(result);
    };
    const unregister = whenAborted(signal, () => {
      jobContext.abort();
      settle({ ok: false, error: toJobError(signal.reason), durationMs: performance.now() - start });
    });
    // The executor's close: a second, executor-wide signal (whenAborted keeps this cheap).
    const unregisterStop = stop
      ? whenAborted(stop, () => {
          jobContext.abort(stop);
          settle({ ok: false, error: toJobError(stop.reason), durationMs: performance.now() - start });
        })
      : noop;
    let pending: T | Promise<T>;
    try {
      pending = job.fn(job.input, jobContext);
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

function noop(): void {}
