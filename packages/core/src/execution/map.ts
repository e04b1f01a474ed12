import { setMaxListeners } from "node:events";
import { MAX_TIMEOUT_MS } from "../deadline.js";
import { UnsupportedError } from "../errors.js";
import type { Registry } from "../registry/registry.js";
import type { ExecutionBackend, JobFailure, JobResult, MapOutcome } from "./contract.js";
import { whenAborted } from "./abort-listeners.js";
import { AbortedError, RemoteJobError, TimeoutError, toJobError } from "./errors.js";
import { type ExecutionSpec, createExecutor, isExecutionBackend } from "./executor.js";
import { type RetryOptions, backoffDelay, resolveRetry } from "./retry.js";
import { type Task, jobFor, taskKind } from "./task.js";

/** Progress of a `map` run, reported after every finished item. */
export interface MapProgress {
  /** Items finished (succeeded + failed). */
  readonly done: number;
  readonly succeeded: number;
  readonly failed: number;
  /** Jobs running now. */
  readonly running: number;
  /** Number of items when known (an array's length, or `options.total`). */
  readonly total: number | undefined;
  /** Time since the map started, in ms. */
  readonly elapsedMs: number;
  /** Items finished per second so far. */
  readonly ratePerSecond: number;
}

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
  const total = options.total ?? (Array.isArray(items) ? items.length : undefined);
  const started = performance.now();

  // Cancels everything this map started: the caller's signal, or the consumer leaving early.
  const cancel = new AbortController();
  // One listener per running job (and one per backoff): not a leak, so no warning past 10.
  setMaxListeners(limit + 16, cancel.signal);
  const onCallerAbort = (): void => cancel.abort(new AbortedError("map was cancelled", { cause: options.signal?.reason }));
  if (options.signal?.aborted) onCallerAbort();
  else options.signal?.addEventListener("abort", onCallerAbort, { once: true });

  const iterator = toAsyncIterator(items);
  let inputDone = false;
  let inputError: { error: unknown } | undefined;
  let pulling = false;
  let nextIndex = 0;
  // Slots held: items read (or being read) and not yet yielded. Never above `limit`.
  let held = 0;
  let running = 0;
  let succeeded = 0;
  let failed = 0;
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

  const report = (): void => {
    if (!options.onProgress) return;
    const elapsedMs = performance.now() - started;
    const done = succeeded + failed;
    try {
      options.onProgress({ done, succeeded, failed, running, total, elapsedMs, ratePerSecond: elapsedMs > 0 ? (done * 1000) / elapsedMs : 0 });
    } catch {
      // A progress callback must not break the run.
    }
  };

  const keyOf = (item: I, index: number): { runKey?: string } => {
    const runKey = typeof options.runKey === "function" ? options.runKey(item, index) : options.runKey;
    return runKey === undefined ? {} : { runKey };
  };
  const runOne = async (index: number, item: I): Promise<MapOutcome<O>> => {
    const start = performance.now();
    for (let attempt = 1; ; attempt++) {
      // Without a timeout a job stops only when the whole map is cancelled: it can share the
      // map's signal. With one, each attempt gets its own, aborted by either.
      let signal = cancel.signal;
      let timer: NodeJS.Timeout | undefined;
      let unregister: (() => void) | undefined;
      if (options.timeout !== undefined) {
        const jobAbort = new AbortController();
        signal = jobAbort.signal;
        unregister = whenAborted(cancel.signal, () => jobAbort.abort(cancel.signal.reason));
        timer = setTimeout(() => jobAbort.abort(new TimeoutError(options.timeout!, { backend: executor.name })), options.timeout);
      }
      let result: JobResult<O>;
      try {
        if (signal.aborted) throw signal.reason;
        result = await executor.run<O>(jobFor(task, item, index), { signal, attempt, index, ...keyOf(item, index) });
      } catch (error) {
        result = { ok: false, error: toJobError(signal.aborted ? signal.reason : error) };
      } finally {
        clearTimeout(timer);
        unregister?.();
      }
      // A stopped job failed because it was stopped, whatever the executor saw (a killed
      // process, a terminated worker): report the reason, keep the details.
      if (signal.aborted && !result.ok) result = { ...result, error: toJobError(signal.reason) };
      if (!result.ok && attempt <= retry.retries && !cancel.signal.aborted && retry.retryOn(result.error, result as JobFailure, attempt)) {
        if (await sleep(backoffDelay(retry, attempt), cancel.signal)) continue;
        result = { ...result, error: toJobError(cancel.signal.reason) };
      }
      // A new object: the executor's result may be shared or frozen.
      return { ...result, attempts: attempt, durationMs: performance.now() - start, index } as MapOutcome<O>;
    }
  };

  const settle = (outcome: MapOutcome<O>): void => {
    running--;
    if (outcome.ok) succeeded++;
    else failed++;
    if (options.ordered) byIndex.set(outcome.index, outcome);
    else finished.push(outcome);
    report();
    notify();
  };

  const start = (index: number, item: I): void => {
    running++;
    const p = runOne(index, item).then(settle, (error: unknown) =>
      // Only a throwing retryOn gets here: it fails the item, not the map.
      settle({ ok: false, error: toJobError(error), attempts: 1, durationMs: 0, index } as MapOutcome<O>),
    );
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
  };

  // Read one more item when a slot is free. Reads are sequential: iterators are not
  // required to support concurrent next() calls.
  const fill = (): void => {
    while (!pulling && !inputDone && held < limit && !cancel.signal.aborted) {
      pulling = true;
      held++;
      let step: IteratorResult<I> | Promise<IteratorResult<I>>;
      try {
        step = iterator.next();
      } catch (error) {
        pulling = false;
        held--;
        inputDone = true;
        inputError = { error };
        return;
      }
      if (step instanceof Promise || typeof (step as { then?: unknown }).then === "function") {
        Promise.resolve(step).then(
          (r) => {
            pulling = false;
            if (r.done || cancel.signal.aborted) {
              held--;
              if (r.done) inputDone = true;
            } else start(nextIndex++, r.value);
            fill();
            notify();
          },
          (error: unknown) => {
            pulling = false;
            held--;
            inputDone = true;
            inputError = { error };
            notify();
          },
        );
        return;
      }
      pulling = false;
      const r = step as IteratorResult<I>;
      if (r.done) {
        held--;
        inputDone = true;
      } else start(nextIndex++, r.value);
    }
  };

  try {
    fill();
    for (;;) {
      let outcome: MapOutcome<O> | undefined;
      if (options.ordered) {
        outcome = byIndex.get(nextToYield);
        if (outcome) {
          byIndex.delete(nextToYield);
          nextToYield++;
        }
      } else outcome = finished.shift();
      if (outcome) {
        held--;
        yield outcome;
        fill();
        continue;
      }
      // Nothing to yield. Done when no item is held (or, once cancelled, when nothing runs:
      // a pending read of the input is abandoned, not awaited). Indexes are given out only
      // to started jobs, so ordered mode never waits on a gap.
      if (held === 0 || (cancel.signal.aborted && running === 0)) break;
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
    if (inputError && !cancel.signal.aborted) throw inputError.error;
  } finally {
    options.signal?.removeEventListener("abort", onCallerAbort);
    // Leaving early (break, throw): stop what still runs and wait until it has stopped.
    if (!cancel.signal.aborted && (running > 0 || pulling)) cancel.abort(new AbortedError("map was closed before it finished"));
    await Promise.allSettled([...inFlight]);
    if (!inputDone) {
      // A pending read cannot be interrupted: ask the input to finish without waiting for it.
      const ret = (iterator as AsyncIterator<I>).return?.();
      if (ret && typeof (ret as Promise<unknown>).then === "function") (ret as Promise<unknown>).catch(() => undefined);
    }
  }
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
