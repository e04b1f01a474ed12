import { Piscina } from "piscina";
import type { JobResult, ModuleJob, RunContext } from "../contract.js";
import { JobFailedError, toJobError } from "../errors.js";
import type { ModuleWorkerTask } from "./module-worker.js";
import { resolveModuleUrl } from "../module-source.js";

/** Settings of the worker pool. */
export interface ModulePoolSettings {
  readonly backend: string;
  readonly maxThreads: number;
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

  constructor(settings: ModulePoolSettings) {
    this.#settings = settings;
  }

  #get(): Piscina<ModuleWorkerTask, JobResult> {
    if (!this.#pool) {
      const pool = new Piscina<ModuleWorkerTask, JobResult>({
        filename: new URL("./module-worker.js", import.meta.url).href,
        // All threads start with the pool (at the first module job), in parallel, so the
        // first jobs of a run do not queue behind one thread while the others boot.
        minThreads: this.#settings.maxThreads,
        maxThreads: this.#settings.maxThreads,
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
    try {
      const result = await this.#get().run(task, { signal });
      return { ...(result as JobResult<T>), durationMs: performance.now() - start };
    } catch (error) {
      // Aborted (piscina terminated the worker) or the worker died (process.exit, OOM).
      const reason = signal.aborted ? signal.reason : new JobFailedError(`worker running ${job.module} failed`, { backend: this.#settings.backend, cause: error });
      return { ok: false, error: toJobError(reason), durationMs: performance.now() - start };
    }
  }

  /** Terminate every worker, running jobs included. */
  async close(): Promise<void> {
    const pool = this.#pool;
    this.#pool = undefined;
    await pool?.destroy();
  }
}
