import type { JobError } from "../execution/contract.js";
import { JobFailedError } from "../execution/errors.js";

/** Default number of first rows failing alike that stop a run. */
export const DEFAULT_FAIL_FAST = 5;

/** Errors that no other row can escape: the first one stops the run. */
const FATAL_CODES = new Set(["ERR_THEMIS_INVALID_EXPORT", "ERR_MODULE_NOT_FOUND", "ERR_UNSUPPORTED_DIR_IMPORT", "ERR_UNKNOWN_FILE_EXTENSION"]);

const signature = (e: JobError): string => (e.code !== undefined ? `code:${e.code}` : `${e.name}:${e.message}`);

/**
 * Decides when a run should stop instead of writing thousands of error rows: when the
 * first `limit` finished rows all failed with the same non-retryable error, or at once on
 * an error no row can escape (a missing export or module). One success, or two different
 * errors, turn it off for the rest of the run.
 */
export class FailFast {
  readonly #limit: number;
  #streak = 0;
  #signature: string | undefined;
  #off: boolean;

  constructor(limit: number = DEFAULT_FAIL_FAST) {
    this.#limit = limit;
    this.#off = limit <= 0;
  }

  /** Note a finished row; returns the error to stop the run with, if it should stop. */
  observe(error: JobError | undefined): Error | undefined {
    if (this.#off) return undefined;
    if (error === undefined || error.code === "ERR_THEMIS_ABORTED") {
      this.#off = error === undefined;
      return undefined;
    }
    if (error.code !== undefined && FATAL_CODES.has(error.code)) return this.#stop(error, 1);
    const sig = signature(error);
    if (error.retryable || (this.#signature !== undefined && sig !== this.#signature)) {
      this.#off = true;
      return undefined;
    }
    this.#signature = sig;
    this.#streak++;
    return this.#streak >= this.#limit ? this.#stop(error, this.#streak) : undefined;
  }

  #stop(error: JobError, rows: number): Error {
    const what = rows === 1 ? "the first row" : `the first ${rows} rows`;
    return new JobFailedError(
      `run stopped: ${what} failed with ${error.code ?? error.name}: ${error.message} (fix it and rerun with resume; failFast: 0 turns this check off)`,
      {
        cause: error,
      },
    );
  }
}
