/**
 * The execution backend contract: what an executor ("local", "sequential", "docker", a
 * third party's) implements, and the job and outcome shapes every executor shares.
 *
 * An executor runs one job at a time per call of {@link ExecutionBackend.run}; core's
 * `map` builds everything else once, for every executor: bounded concurrency with
 * backpressure, per-job timeouts, cancellation, retries, ordering and progress. A backend
 * author therefore writes `run` (honouring the AbortSignal) and `close`, nothing more.
 *
 * @module
 */
import type { JsonValue } from "../rows.js";

/**
 * The three kinds of jobs.
 *
 * - `function`: an in-process JavaScript function (local executors only: a function
 *   cannot cross a process or container boundary).
 * - `module`: an exported function of an ES module, called with JSON input; works across
 *   threads, processes and containers.
 * - `command`: a program run with an argv array, environment, working directory and stdin.
 */
export type JobKind = "function" | "module" | "command";

/** Every job kind, in a stable order. */
export const JOB_KINDS: readonly JobKind[] = ["function", "module", "command"];

/** What an in-process function job (and a module export) receives besides its input. */
export interface JobContext {
  /**
   * Aborted when the job times out or the run is cancelled. Long-running work should pass
   * it on (fetch, child processes, timers) or check `signal.aborted` between steps.
   */
  readonly signal: AbortSignal;
  /** 1 for the first try, 2 for the first retry, ... */
  readonly attempt: number;
  /** Position of the item in the input of `map` (0-based). */
  readonly index: number;
}

/** The function of a function job. May return a value or a promise of one. */
// biome-ignore lint/suspicious/noExplicitAny: a task of any input type must be assignable to the default (parameters are contravariant)
export type TaskFunction<I = any, O = unknown> = (input: I, context: JobContext) => O | Promise<O>;

/** Run `fn(input, context)` in-process. Only local executors support this kind. */
export interface FunctionJob<I = unknown, O = unknown> {
  readonly kind: "function";
  readonly fn: TaskFunction<I, O>;
  readonly input: I;
}

/**
 * Call an exported function of an ES module with JSON input; its (awaited) return value,
 * which must be JSON-serializable, becomes the outcome's value. The export is called as
 * `fn(input, context)` where `context.signal` exists only where the executor can offer it
 * (a worker that is terminated on timeout needs none).
 */
export interface ModuleJob {
  readonly kind: "module";
  /**
   * The module: an absolute file path, a `file:` URL, or a package specifier
   * (`"my-evals/scorers"`). Package specifiers and relative paths are resolved from
   * {@link ModuleJob.resolveFrom}. A container executor resolves the path inside the
   * container.
   */
  readonly module: string;
  /** Name of the export to call. Default: `"default"`. */
  readonly export?: string;
  /** JSON input passed as the first argument. Default: `null`. */
  readonly input?: JsonValue;
  /**
   * Directory (or `file:` URL of a directory or file) to resolve relative paths and package
   * specifiers from. Default: the current working directory.
   */
  readonly resolveFrom?: string;
}

/**
 * Run a program. No shell is involved unless {@link CommandJob.shell} asks for one, so
 * arguments need no quoting and cannot inject commands.
 *
 * The job succeeds when the program exits with a code in {@link CommandJob.okExitCodes}
 * (default `[0]`); its value is then its stdout (text, or parsed JSON with
 * `output: "json"`). Any other exit is an error outcome with code
 * `ERR_THEMIS_JOB_FAILED` that still carries `exitCode`, `stdout` and `stderr`.
 */
export interface CommandJob {
  readonly kind: "command";
  /**
   * Program and arguments: `["python", "score.py", "--fast"]`. With `shell`, `argv[0]` is
   * the shell script and the remaining entries become its positional parameters (`$1`...).
   */
  readonly argv: readonly string[];
  /** Environment variables to set (on top of the executor's environment, see `inheritEnv`). */
  readonly env?: Readonly<Record<string, string>>;
  /**
   * Start from the executor's own environment (the parent process' for local executors).
   * Default: true. With false the program sees only `env` (plus what the OS requires).
   */
  readonly inheritEnv?: boolean;
  /** Working directory. Default: the executor's (the current directory for local executors). */
  readonly cwd?: string;
  /** Written to the program's stdin, which is then closed. Default: empty stdin. */
  readonly stdin?: string | Uint8Array;
  /**
   * Run through a shell: `true` for the platform shell (`/bin/sh`), or a shell path. Off by
   * default.
   */
  readonly shell?: boolean | string;
  /** How to turn stdout into the outcome's value. Default: `"text"`. */
  readonly output?: "text" | "json";
  /** Exit codes that mean success. Default: `[0]`. */
  readonly okExitCodes?: readonly number[];
  /**
   * Bytes of stdout and of stderr to keep (each). What goes beyond is counted, not kept,
   * and the capture is marked `truncated`. Default: the executor's (1 MiB for built-ins).
   */
  readonly maxOutputBytes?: number;
}

/** Any job. */
// biome-ignore lint/suspicious/noExplicitAny: a task of any input type must be assignable to the default (parameters are contravariant)
export type Job = FunctionJob<any, any> | ModuleJob | CommandJob;

/**
 * A serializable description of why a job failed: it survives JSON, worker threads,
 * processes and containers, and is what experiment error rows store.
 */
export interface JobError {
  /** The error's class name ("TypeError", "TimeoutError", ...). */
  readonly name: string;
  readonly message: string;
  /**
   * A stable code when the error had one: `ERR_THEMIS_TIMEOUT` (per-job timeout),
   * `ERR_THEMIS_ABORTED` (cancelled), `ERR_THEMIS_JOB_FAILED` (non-zero exit, failed
   * worker), `ERR_THEMIS_UNSUPPORTED`, or the thrown error's own `code` (`ECONNRESET`...).
   */
  readonly code?: string;
  /**
   * Whether trying again may succeed. Taken from the thrown error's `retryable` flag;
   * `map` retries only errors marked retryable unless its `retryOn` says otherwise.
   */
  readonly retryable: boolean;
  readonly stack?: string;
  /** The error's `cause`, serialized the same way. */
  readonly cause?: JobError;
}

/** Bounded capture of one output stream. */
export interface CapturedOutput {
  /** The first `maxOutputBytes` bytes, decoded as UTF-8. */
  readonly text: string;
  /** Total bytes the stream produced (kept or not). */
  readonly bytes: number;
  /** True when `bytes` exceeded what was kept. */
  readonly truncated: boolean;
}

/** Details every result can carry besides its value or error. */
export interface JobResultDetails {
  /** Exit code of a command (or of the process that ran the job); null when killed by a signal. */
  readonly exitCode?: number | null;
  /** The signal that ended the process ("SIGKILL"...), when one did. */
  readonly termSignal?: string | null;
  readonly stdout?: CapturedOutput;
  readonly stderr?: CapturedOutput;
  /** How long the attempt ran, in milliseconds. */
  readonly durationMs?: number;
}

/** A successful job. */
export interface JobSuccess<T = unknown> extends JobResultDetails {
  readonly ok: true;
  readonly value: T;
}

/** A failed job. */
export interface JobFailure extends JobResultDetails {
  readonly ok: false;
  readonly error: JobError;
}

/** What {@link ExecutionBackend.run} resolves with: one attempt's result. */
export type JobResult<T = unknown> = JobSuccess<T> | JobFailure;

/**
 * The outcome envelope of a job after every attempt: a {@link JobResult} (of the last
 * attempt) plus how many attempts ran and the total time they took. Serializable when the
 * value is.
 */
export type JobOutcome<T = unknown> = JobResult<T> & {
  /** Attempts made (1 when no retry happened). */
  readonly attempts: number;
  /** Wall time from the first attempt's start to the last one's end, backoff included. */
  readonly durationMs: number;
};

/** What `map` yields: an outcome and the position of its item in the input. */
export type MapOutcome<T = unknown> = JobOutcome<T> & {
  /** 0-based position of the item in the input. */
  readonly index: number;
};

/** What {@link ExecutionBackend.run} receives besides the job. */
export interface RunContext {
  /**
   * Aborted when the job times out (reason: a `TimeoutError`, code `ERR_THEMIS_TIMEOUT`)
   * or the run is cancelled (reason: an `AbortedError`, code `ERR_THEMIS_ABORTED`). The
   * backend must then really stop the job (abort the function's signal, kill the
   * command's whole process group, terminate the worker, kill the container) and resolve
   * promptly; `map` reports the reason as the error.
   */
  readonly signal: AbortSignal;
  /** 1 for the first try, 2 for the first retry, ... */
  readonly attempt: number;
  /** Position of the item in the input of `map`. */
  readonly index: number;
  /**
   * Optional hook for executors that address queued work by id: a key that stays the same
   * when the same work is submitted again (a restarted submitter, a second runner of the
   * same experiment). `runExperiment` sets it from the experiment and the resume key; with
   * `map` it is `MapOptions.runKey`. An executor may derive deterministic job ids from it
   * plus the item (e.g. its `_row_id`) so that a resubmission reattaches to the job already
   * queued instead of running it twice; executors that run jobs in process ignore it.
   * Letters, digits, '_', '.' and '-' only.
   */
  readonly runKey?: string;
}

/**
 * Provenance facts an executor gives about itself (see {@link ExecutionBackend.describe}):
 * a JSON object such as `{ image: "busybox:1.36", imageId: "sha256:...", engine: { version: "20.10.24" } }`.
 */
export type ExecutorDescription = { [key: string]: JsonValue };

/**
 * What an execution backend implements. Create one through a definition of kind
 * `"execution"` ({@link defineExecutionBackend}): the registry validates the config
 * against the definition's schema and calls `create(config)`, which returns this object.
 *
 * Rules for implementers:
 * - `run` is only called with jobs whose kind is in `kinds` (`map` rejects other kinds
 *   with an `UnsupportedError` before anything runs); reject anything else the same way.
 * - A failure of the job itself (thrown error, non-zero exit, crashed worker) resolves to
 *   a {@link JobFailure}; `run` may also reject, which `map` turns into one.
 * - When `context.signal` aborts, stop the work (no orphan processes, threads or
 *   containers) and resolve promptly.
 * - `close` stops what is still running and releases pools and connections; idempotent.
 */
export interface ExecutionBackend {
  /** The backend's registry name, e.g. "local", "docker". */
  readonly name: string;
  /** The job kinds this backend runs. */
  readonly kinds: readonly JobKind[];
  /** How many jobs `map` runs at once when the caller does not say. Default: 1. */
  readonly concurrency?: number;
  /** Upper bound on jobs at once, whatever the caller asks (1 for "sequential"). */
  readonly maxConcurrency?: number;
  /** Run one attempt of one job. */
  run<T = unknown>(job: Job, context: RunContext): Promise<JobResult<T>>;
  /** Stop running jobs and release resources. Idempotent. */
  close(): Promise<void>;
  /**
   * Optional: facts about what the jobs run on, for the provenance of experiment runs
   * (`runExperiment` stores them as `provenance.executorInfo` in the run record): for a
   * container executor the image reference and its digest or id and the engine version;
   * for a cluster, its name and scheduler version. Called once when a run starts.
   *
   * Return JSON only, and **never secrets** (tokens, passwords, credentials in URLs):
   * the record is readable by everyone who can read the project. Core masks credentials
   * in URL-like strings as a safety net, nothing more. A `describe` that throws, does not
   * settle within a few seconds or returns something that is not a JSON object does not
   * fail the run: the run records `executorInfo: null`.
   */
  describe?(): Promise<ExecutorDescription>;
}
