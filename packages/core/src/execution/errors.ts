import { ThemisError, type ThemisErrorOptions } from "../errors.js";
import type { JobError } from "./contract.js";

/** A job ran longer than its per-job timeout and was stopped. Code `ERR_THEMIS_TIMEOUT`. */
export class TimeoutError extends ThemisError {
  /** The timeout that was exceeded, in milliseconds. */
  readonly timeoutMs: number;
  constructor(timeoutMs: number, options?: ThemisErrorOptions) {
    super("ERR_THEMIS_TIMEOUT", `job timed out after ${timeoutMs} ms and was stopped`, options);
    this.timeoutMs = timeoutMs;
  }
}

/** A job was cancelled (the caller's AbortSignal fired) and stopped. Code `ERR_THEMIS_ABORTED`. */
export class AbortedError extends ThemisError {
  constructor(message = "job was cancelled", options?: ThemisErrorOptions) {
    super("ERR_THEMIS_ABORTED", message, options);
  }
}

/**
 * A job failed outside user code: a command exited with a code that is not a success, a
 * worker crashed, a container died. Code `ERR_THEMIS_JOB_FAILED`.
 */
export class JobFailedError extends ThemisError {
  constructor(message: string, options?: ThemisErrorOptions) {
    super("ERR_THEMIS_JOB_FAILED", message, options);
  }
}

/**
 * A {@link JobError} turned back into a throwable Error (for `mapValues`-style callers);
 * `code`, `retryable` and the remote stack are kept.
 */
export class RemoteJobError extends Error {
  readonly code: string | undefined;
  readonly retryable: boolean;
  readonly jobError: JobError;
  constructor(jobError: JobError) {
    super(jobError.message, jobError.cause ? { cause: new RemoteJobError(jobError.cause) } : undefined);
    this.name = jobError.name;
    this.code = jobError.code;
    this.retryable = jobError.retryable;
    this.jobError = jobError;
    if (jobError.stack) this.stack = jobError.stack;
  }
}

const MAX_CAUSE_DEPTH = 5;

/**
 * Serialize anything thrown into a {@link JobError}: name, message, `code` when it is a
 * string, `retryable` when it is `true`, stack, and the cause chain (a few levels deep).
 * Never throws.
 */
export function toJobError(error: unknown, depth = 0): JobError {
  if (typeof error === "object" && error !== null) {
    const e = error as { name?: unknown; message?: unknown; code?: unknown; retryable?: unknown; stack?: unknown; cause?: unknown };
    const name = typeof e.name === "string" && e.name ? e.name : error instanceof Error ? "Error" : "NonError";
    let message: string;
    if (typeof e.message === "string") message = e.message;
    else {
      try {
        message = JSON.stringify(error) ?? String(error);
      } catch {
        message = String(error);
      }
    }
    const out: { -readonly [K in keyof JobError]: JobError[K] } = { name, message, retryable: e.retryable === true };
    if (typeof e.code === "string") out.code = e.code;
    else if (typeof e.code === "number") out.code = String(e.code);
    if (typeof e.stack === "string") out.stack = e.stack;
    if (e.cause !== undefined && depth < MAX_CAUSE_DEPTH) out.cause = toJobError(e.cause, depth + 1);
    return out;
  }
  return { name: "NonError", message: String(error), retryable: false };
}
