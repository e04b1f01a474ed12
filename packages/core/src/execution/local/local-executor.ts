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
  #closed = false;

  constructor(settings: LocalExecutorSettings) {
    this.name = settings.name;
    this.concurrency = settings.concurrency;
    this.maxConcurrency = settings.maxConcurrency;
    this.#settings = settings;
    this.#pool = new ModulePool({ backend: settings.name, maxThreads: settings.maxThreads, tasksPerThread: settings.tasksPerThread, idleTimeoutMs: settings.idleTimeoutMs });
  }

  async run<T = unknown>(job: Job, context: RunContext): Promise<JobResult<T>> {
    if (this.#closed) throw new ClosedError(`executor "${this.name}" is closed`, { backend: this.name });
    switch (job.kind) {
      case "function":
        return runFunction(job as never, context);
      case "module":
        return this.#pool.run<T>(job, context);
      case "command":
        return runCommand<T>(job, context, { backend: this.name, maxOutputBytes: this.#settings.maxOutputBytes, killGraceMs: this.#settings.killGraceMs });
      default:
        return { ok: false, error: toJobError(new UnsupportedError(`unknown job kind ${JSON.stringify((job as { kind?: unknown }).kind)}`, { backend: this.name })) };
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#pool.close();
  }
}
