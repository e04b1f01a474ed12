import { setMaxListeners } from "node:events";
import { MAX_TIMEOUT_MS } from "../deadline.js";
import { UnsupportedError } from "../errors.js";
import type { Registry } from "../registry/registry.js";
import type { ExecutionBackend, MapOutcome } from "./contract.js";
import { AbortedError, RemoteJobError, toJobError } from "./errors.js";
import { type ExecutionSpec, createExecutor, isExecutionBackend } from "./executor.js";
import { InputPump } from "./input-pump.js";
import { type MapProgress, ProgressCounter } from "./map-progress.js";
import { type RetryOptions, resolveRetry } from "./retry.js";
import { runAttempts } from "./run-attempts.js";
import { type Task, taskKind } from "./task.js";

export type { MapProgress } from "./map-progress.js";

/** Options of {@link map}. */
export interface MapOptions {
  /**
   * The execution backend: a registry name, a definition, or an executor instance (not
   * closed by `map`). Default: the one the themis config names (`execution:`), else `"local"`.
   * The same word as `runExperiment`'s option and the config key.
   */
  execution?: ExecutionSpec;
  /** Config for the execution backend when `map` creates it from a name or definition. */
  executionConfig?: Record<string, unknown>;
  /** @deprecated The old name of {@link MapOptions.execution}; still accepted. */
  executor?: ExecutionSpec;
  /** @deprecated The old name of {@link MapOptions.executionConfig}; still accepted. */
  executorConfig?: Record<string, unknown>;
  /** Registry to resolve executor names with. Default: the default registry. */
  registry?: Registry;
  /**
   * Jobs running at once (and items read ahead: never more than this many items are read
   * and not yet yielded). Default: the executor's `concurrency`. Capped by its
   * `maxConcurrency`.
   */
  concurrency?: number;
  /**
   * Per-job timeout in ms, for each attempt: a job running longer is stopped (its signal
   * aborted, its process group killed, its worker terminated) and fails with
   * `ERR_THEMIS_TIMEOUT`. Default: none.
   */
  timeout?: number;
  /** Retries of failed jobs: a count, or options (backoff, `retryOn`). Default: 0. */
  retries?: number | RetryOptions;
  /**
   * Cancels the whole map: nothing more is read or started, running jobs are stopped and
   * yield outcomes with code `ERR_THEMIS_ABORTED`, then the iterator ends (without
   * throwing: check `signal.aborted`).
   */
  signal?: AbortSignal;
  /** Called after each finished item. Must not throw (errors are ignored). */
  onProgress?: (progress: MapProgress) => void;
  /** Yield outcomes in input order instead of completion order. Default: false. */
  ordered?: boolean;
  /** Number of items, for progress, when the input is not an array. */
  total?: number;
  /**
   * Passed to the executor with every job as `RunContext.runKey` (see there): one key, or
   * one per item.
   */
  runKey?: string | ((item: unknown, index: number) => string | undefined);
}

type Input<I> = Iterable<I> | AsyncIterable<I>;

function toAsyncIterator<I>(items: Input<I>): AsyncIterator<I> | Iterator<I> {
  if (items && typeof (items as AsyncIterable<I>)[Symbol.asyncIterator] === "function") return (items as AsyncIterable<I>)[Symbol.asyncIterator]();
  if (items && typeof (items as Iterable<I>)[Symbol.iterator] === "function") return (items as Iterable<I>)[Symbol.iterator]();
  throw new TypeError("map: items must be an array, an iterable or an async iterable");
}

/** `execution`, or its old name `executor`; both at once is a TypeError (which one was meant?). */
function executionSpec(options: MapOptions): ExecutionSpec | undefined {
  if (options.execution !== undefined && options.executor !== undefined) throw new TypeError("map: give `execution` only (`executor` is its old name)");
  if (options.executionConfig !== undefined && options.executorConfig !== undefined)
    throw new TypeError("map: give `executionConfig` only (`executorConfig` is its old name)");
  return options.execution ?? options.executor;
}

/** Throws UnsupportedError unless `executor` runs the kind of jobs `task` makes. */
export function assertRunsTask(executor: ExecutionBackend, task: Task): void {
  const kind = taskKind(task);
  if (!executor.kinds.includes(kind)) {
    throw new UnsupportedError(
      `executor "${executor.name}" does not run ${kind} jobs (it runs: ${executor.kinds.join(", ") || "nothing"})` +
        (kind === "function" ? '; in-process functions need a local executor ("local" or "sequential"), use a module task instead' : ""),
      { backend: executor.name },
    );
  }
}

function positiveInteger(name: string, value: number | undefined): void {
  if (value !== undefined && (!Number.isInteger(value) || value < 1)) throw new RangeError(`map: ${name} must be a positive integer, got ${value}`);
}

/**
 * Run `task` over every item on an executor, yielding each item's outcome as it completes
 * (or in input order with `ordered`). One failing item yields an error outcome; the map
 * goes on.
 *
 * - Backpressure: at most `concurrency` items are read and not yet yielded, so an infinite
 *   or huge input is fine and a slow consumer slows the input down.
 * - `timeout` is per job (per attempt), never for the whole map.
 * - `signal` cancels: running jobs are really stopped (functions see an aborted signal,
 *   commands' process groups are killed, workers terminated).
 * - Retries use exponential backoff with jitter and are decided by the error's type
 *   (`retryable` flag, `code`), never by message text.
 *
 * Asking for a job kind the executor does not run is an `UnsupportedError` before
 * anything runs: thrown by `map` itself when the executor is an instance, by the first
 * `next()` otherwise. Breaking out of the loop cancels what still runs.
 *
 * @example
 * ```ts
 * for await (const outcome of map(async (n: number) => n * 2, [1, 2, 3], { concurrency: 2 })) {
 *   if (outcome.ok) console.log(outcome.index, outcome.value);
 *   else console.error(outcome.index, outcome.error.code, outcome.error.message);
 * }
 * ```
 */
export function map<I, O = unknown>(task: Task<I, O>, items: Input<I>, options: MapOptions = {}): AsyncIterable<MapOutcome<O>> {
  positiveInteger("concurrency", options.concurrency);
  if (options.timeout !== undefined && !(options.timeout > 0 && options.timeout <= MAX_TIMEOUT_MS)) {
    throw new RangeError(`map: timeout must be a positive number of ms up to ${MAX_TIMEOUT_MS} (a Node timer fires at once beyond it), got ${options.timeout}`);
  }
  const retry = resolveRetry(options.retries);
  const spec = executionSpec(options);
  if (isExecutionBackend(spec)) assertRunsTask(spec, task);
  return {
    [Symbol.asyncIterator]: () => run<I, O>(task, items, options, retry)[Symbol.asyncIterator](),
  };
}

async function* run<I, O>(task: Task<I, O>, items: Input<I>, options: MapOptions, retry: ReturnType<typeof resolveRetry>): AsyncGenerator<MapOutcome<O>> {
  const { executor, owned } = await createExecutor(executionSpec(options), options.executionConfig ?? options.executorConfig, options.registry);
  try {
    assertRunsTask(executor, task);
    yield* schedule(executor, task, items, options, retry);
  } finally {
    if (owned) await executor.close();
  }
}

async function* schedule<I, O>(
  executor: ExecutionBackend,
  task: Task<I, O>,
  items: Input<I>,
  options: MapOptions,
  retry: ReturnType<typeof resolveRetry>,
): AsyncGenerator<MapOutcome<O>> {
  const limit = Math.max(1, Math.min(options.concurrency ?? executor.concurrency ?? 1, executor.maxConcurrency ?? Number.POSITIVE_INFINITY));
  const progress = new ProgressCounter(options.onProgress, options.total ?? (Array.isArray(items) ? items.length : undefined));
  const { cancel, unlink } = linkCancel(options.signal, limit);

  const finished: MapOutcome<O>[] = []; // completion order (unordered mode)
  const byIndex = new Map<number, MapOutcome<O>>(); // ordered mode
  let nextToYield = 0;
  const inFlight = new Set<Promise<void>>();
  let wake: (() => void) | undefined;
  const notify = (): void => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  cancel.signal.addEventListener("abort", notify, { once: true });

  const settle = (outcome: MapOutcome<O>): void => {
    progress.settled(outcome.ok);
    if (options.ordered) byIndex.set(outcome.index, outcome);
    else finished.push(outcome);
    notify();
  };
  const start = (index: number, item: I): void => {
    progress.started();
    const p = runAttempts(executor, task, item, index, options, retry, cancel.signal).then(settle, (error: unknown) =>
      // Only a throwing retryOn gets here: it fails the item, not the map.
      settle({ ok: false, error: toJobError(error), attempts: 1, durationMs: 0, index } as MapOutcome<O>),
    );
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
  };
  const input = new InputPump(toAsyncIterator(items), limit, () => cancel.signal.aborted, start, notify);
  const next = (): MapOutcome<O> | undefined => {
    if (!options.ordered) return finished.shift();
    const outcome = byIndex.get(nextToYield);
    if (outcome) {
      byIndex.delete(nextToYield);
      nextToYield++;
    }
    return outcome;
  };

  try {
    input.fill();
    for (;;) {
      const outcome = next();
      if (outcome) {
        input.release();
        yield outcome;
        input.fill();
        continue;
      }
      // Nothing to yield. Done when no item is held (or, once cancelled, when nothing runs:
      // a pending read of the input is abandoned, not awaited). Indexes are given out only
      // to started jobs, so ordered mode never waits on a gap.
      if (input.held === 0 || (cancel.signal.aborted && progress.running === 0)) break;
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
    if (input.error && !cancel.signal.aborted) throw input.error.error;
  } finally {
    unlink();
    // Leaving early (break, throw): stop what still runs and wait until it has stopped.
    if (!cancel.signal.aborted && (progress.running > 0 || input.pulling)) cancel.abort(new AbortedError("map was closed before it finished"));
    await Promise.allSettled([...inFlight]);
    input.abandon();
  }
}

/**
 * The map's own cancel signal, aborted by the caller's `signal` too (unlink when done).
 * One listener per running job (and one per backoff) is not a leak: no warning past 10.
 */
function linkCancel(signal: AbortSignal | undefined, limit: number): { cancel: AbortController; unlink: () => void } {
  const cancel = new AbortController();
  setMaxListeners(limit + 16, cancel.signal);
  const onCallerAbort = (): void => cancel.abort(new AbortedError("map was cancelled", { cause: signal?.reason }));
  if (signal?.aborted) onCallerAbort();
  else signal?.addEventListener("abort", onCallerAbort, { once: true });
  return { cancel, unlink: () => signal?.removeEventListener("abort", onCallerAbort) };
}

/**
 * Like {@link map}, but yields values and throws the first failure (as the job's error,
 * rehydrated) after cancelling the rest. For callers that want all-or-nothing.
 */
export async function mapValues<I, O = unknown>(task: Task<I, O>, items: Input<I>, options: MapOptions = {}): Promise<O[]> {
  const values: O[] = [];
  for await (const outcome of map(task, items, { ...options, ordered: true })) {
    if (!outcome.ok) throw new RemoteJobError(outcome.error);
    values[outcome.index] = outcome.value;
  }
  return values;
}
