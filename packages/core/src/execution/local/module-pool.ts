import { Piscina } from "piscina";
import type { JobResult, ModuleJob, RunContext } from "../contract.js";
import { JobFailedError, toJobError } from "../errors.js";
import type { ModuleWorkerTask } from "./module-worker.js";
import { resolveModuleUrl } from "../module-source.js";

// A worker thread runs plain JavaScript: the built worker beside this file, or, when the
// TypeScript sources run (the repository's tests), the one `pnpm build` wrote to dist/.
const MODULE_WORKER = import.meta.url.endsWith(".ts") ? "../../../dist/execution/local/module-worker.js" : "./module-worker.js";
const MODULE_WORKER_URL = new URL(MODULE_WORKER, import.meta.url).href;

/** Settings of the worker pool. */
export interface ModulePoolSettings {
  readonly backend: string;
  readonly maxThreads: number;
  /** Module jobs one worker thread runs at once (1: piscina stops a job by terminating its thread). */
  readonly tasksPerThread: number;
  /** Milliseconds an idle worker lives before it exits. */
  readonly idleTimeoutMs: number;
}

/**
 * A lazily created piscina pool running module jobs on worker threads, so CPU-bound work
 * uses every core. Stopping a job (timeout, cancellation) terminates its worker; piscina
 * replaces it.
 */
export class ModulePool {
  readonly #settings: ModulePoolSettings;
  #pool: Piscina<ModuleWorkerTask, JobResult> | undefined;
  /** Jobs stopped so far: each terminated a thread, failing the jobs that shared it. */
  #stops = 0;

  constructor(settings: ModulePoolSettings) {
    this.#settings = settings;
  }

  #get(): Piscina<ModuleWorkerTask, JobResult> {
    if (!this.#pool) {
      const pool = new Piscina<ModuleWorkerTask, JobResult>({
        filename: MODULE_WORKER_URL,
        // All threads start with the pool (at the first module job), in parallel, so the
        // first jobs of a run do not queue behind one thread while the others boot.
        minThreads: this.#settings.maxThreads,
        maxThreads: this.#settings.maxThreads,
        concurrentTasksPerWorker: this.#settings.tasksPerThread,
        // "sync" pauses a thread between messages: a second job would never start while the
        // first awaits. Several jobs per thread need the thread's event loop running.
        atomics: this.#settings.tasksPerThread > 1 ? "async" : "sync",
        idleTimeout: this.#settings.idleTimeoutMs,
      });
      // When a job is aborted just as its worker replies, piscina emits "error" for the
      // reply to a task it already dropped. The job's outcome is settled (aborted); an
      // unhandled "error" event would crash the process instead.
      pool.on("error", () => undefined);
      this.#pool = pool;
    }
    return this.#pool;
  }

  async run<T>(job: ModuleJob, context: RunContext): Promise<JobResult<T>> {
    const start = performance.now();
    const { signal } = context;
    if (signal.aborted) return { ok: false, error: toJobError(signal.reason), durationMs: 0 };
    let url: string;
    try {
      url = resolveModuleUrl(job.module, job.resolveFrom);
    } catch (error) {
      return { ok: false, error: toJobError(error), durationMs: performance.now() - start };
    }
    const task: ModuleWorkerTask = { url, exportName: job.export ?? "default", input: job.input ?? null, attempt: context.attempt, index: context.index };
    if (this.#settings.tasksPerThread === 1) return this.#runAlone<T>(task, job, signal, start);
    return this.#runShared<T>(task, job, signal, start);
  }

  /** One job per thread: piscina stops it (terminating its thread) when the signal aborts. */
  async #runAlone<T>(task: ModuleWorkerTask, job: ModuleJob, signal: AbortSignal, start: number): Promise<JobResult<T>> {
    try {
      const result = await this.#get().run(task, { signal });
      return { ...(result as JobResult<T>), durationMs: performance.now() - start };
    } catch (error) {
      // Aborted (piscina terminated the worker) or the worker died (process.exit, OOM).
      const reason = signal.aborted
        ? signal.reason
        : new JobFailedError(`worker running ${job.module} failed`, { backend: this.#settings.backend, cause: error });
      return { ok: false, error: toJobError(reason), durationMs: performance.now() - start };
    }
  }

  /**
   * Several jobs per thread. piscina never shares a thread with a job it can abort, so jobs
   * are stopped here: the job writes its thread id to shared memory when it starts, and
   * stopping it terminates that thread. Jobs that shared the thread did nothing wrong: they
   * run again (a few times at most).
   */
  async #runShared<T>(task: ModuleWorkerTask, job: ModuleJob, signal: AbortSignal, start: number): Promise<JobResult<T>> {
    const control = new Int32Array(new SharedArrayBuffer(8));
    let onAbort!: () => void;
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => {
        this.#stops++;
        Atomics.store(control, 1, 1);
        const thread = Atomics.load(control, 0);
        if (thread !== 0) void this.#pool?.threads.find((w) => w.threadId === thread)?.terminate();
        reject(signal.reason);
      };
    });
    aborted.catch(() => undefined);
    signal.addEventListener("abort", onAbort, { once: true });
    try {
      for (let rerun = 0; ; rerun++) {
        const stops = this.#stops;
        try {
          const result = await Promise.race([this.#get().run({ ...task, control }), aborted]);
          return { ...(result as JobResult<T>), durationMs: performance.now() - start };
        } catch (error) {
          if (!signal.aborted && this.#stops !== stops && this.#pool && rerun < 3) {
            Atomics.store(control, 0, 0);
            continue;
          }
          const reason = signal.aborted
            ? signal.reason
            : new JobFailedError(`worker running ${job.module} failed`, { backend: this.#settings.backend, cause: error });
          return { ok: false, error: toJobError(reason), durationMs: performance.now() - start };
        }
      }
    } finally {
      signal.removeEventListener("abort", onAbort);
    }
  }

  /** Terminate every worker, running jobs included. */
  async close(): Promise<void> {
    const pool = this.#pool;
    this.#pool = undefined;
    await pool?.destroy();
  }
}
