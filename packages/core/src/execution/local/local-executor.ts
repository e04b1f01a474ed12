import { availableParallelism } from "node:os";
import { ClosedError, UnsupportedError } from "../../errors.js";
import { JOB_KINDS, type ExecutionBackend, type Job, type JobKind, type JobResult, type RunContext } from "../contract.js";
import { toJobError } from "../errors.js";
import { DEFAULT_MAX_OUTPUT_BYTES } from "../output.js";
import { runCommand } from "./run-command.js";
import { runFunction } from "./run-function.js";
import { ModulePool } from "./module-pool.js";

/** Settings of a {@link LocalExecutor}. */
export interface LocalExecutorSettings {
  /** Registry name reported in errors ("local", "sequential"). */
  name: string;
  /** Default jobs at once. */
  concurrency: number;
  /** Hard cap on jobs at once (1 for "sequential"). */
  maxConcurrency?: number;
  /** Worker threads for module jobs. */
  maxThreads: number;
  /** Module jobs one worker thread runs at once, so jobs in flight can exceed threads (I/O-bound tasks). */
  tasksPerThread: number;
  maxOutputBytes: number;
  killGraceMs: number;
  idleTimeoutMs: number;
}

/** Defaults shared by "local" and "sequential". */
export const LOCAL_DEFAULTS = {
  concurrency: availableParallelism(),
  maxThreads: availableParallelism(),
  tasksPerThread: 1,
  maxOutputBytes: DEFAULT_MAX_OUTPUT_BYTES,
  killGraceMs: 500,
  idleTimeoutMs: 30_000,
} as const;

/**
 * Runs jobs on this machine: functions in-process, module jobs on a worker-thread pool,
 * commands as child processes in their own process group. The implementation behind the
 * built-in "local" and "sequential" executors.
 */
export class LocalExecutor implements ExecutionBackend {
  readonly name: string;
  readonly kinds: readonly JobKind[] = JOB_KINDS;
  readonly concurrency: number;
  readonly maxConcurrency: number | undefined;
  readonly #settings: LocalExecutorSettings;
  readonly #pool: ModulePool;
  /** Set by the first {@link close}: later calls return the same promise. */
  #closed: Promise<void> | undefined;
  /** Aborted by {@link close}: stops every job still running (reason: a ClosedError). */
  readonly #closing = new AbortController();
  /** Module and command runs not yet settled, so that close can wait until their processes are gone. */
  readonly #running = new Set<Promise<unknown>>();

  constructor(settings: LocalExecutorSettings) {
    this.name = settings.name;
    this.concurrency = settings.concurrency;
    this.maxConcurrency = settings.maxConcurrency;
    this.#settings = settings;
    this.#pool = new ModulePool({
      backend: settings.name,
      maxThreads: settings.maxThreads,
      tasksPerThread: settings.tasksPerThread,
      idleTimeoutMs: settings.idleTimeoutMs,
    });
  }

  run<T = unknown>(job: Job, context: RunContext): Promise<JobResult<T>> {
    if (this.#closed) return Promise.reject(new ClosedError(`executor "${this.name}" is closed`, { backend: this.name }));
    // Function jobs (the hot path of cheap jobs) settle at once when close aborts
    // #closing, so close need not wait for them and they skip the bookkeeping below.
    if (job.kind === "function") return runFunction(job as never, context, this.#closing.signal);
    return this.#tracked<T>(job, context);
  }

  /** Run a job that owns a process or a worker, so that close can wait until it is gone. */
  async #tracked<T>(job: Job, context: RunContext): Promise<JobResult<T>> {
    const running = this.#start<T>(job, { ...context, signal: AbortSignal.any([context.signal, this.#closing.signal]) });
    this.#running.add(running);
    try {
      return await running;
    } finally {
      this.#running.delete(running);
    }
  }

  async #start<T>(job: Job, context: RunContext): Promise<JobResult<T>> {
    switch (job.kind) {
      case "module":
        return this.#pool.run<T>(job, context);
      case "command":
        return runCommand<T>(job, context, { backend: this.name, maxOutputBytes: this.#settings.maxOutputBytes, killGraceMs: this.#settings.killGraceMs });
      default:
        return {
          ok: false,
          error: toJobError(new UnsupportedError(`unknown job kind ${JSON.stringify((job as { kind?: unknown }).kind)}`, { backend: this.name })),
        };
    }
  }

  /** Stop every running job (its outcome: ERR_THEMIS_CLOSED), wait for them, release the pool. Idempotent. */
  close(): Promise<void> {
    this.#closed ??= this.#close();
    return this.#closed;
  }

  async #close(): Promise<void> {
    this.#closing.abort(new ClosedError(`executor "${this.name}" was closed while the job ran`, { backend: this.name }));
    await Promise.allSettled([...this.#running]);
    await this.#pool.close();
  }
}
