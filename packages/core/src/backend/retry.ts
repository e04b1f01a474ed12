import pRetry, { AbortError } from "p-retry";
import { isNetworkError } from "./failure.js";

/** Options of {@link retryTransient}. */
export interface RetryTransientOptions {
  /** Retries after the first attempt (default 3; 0 = one attempt only). */
  readonly retries?: number;
  /** Delay before the first retry, in ms (default 100); it doubles each retry, randomized ×1–2. */
  readonly minDelayMs?: number;
  /** Upper bound of one delay, in ms (default 2000). */
  readonly maxDelayMs?: number;
  /**
   * Whether a failure is worth another attempt. Default {@link isRetryable}: a Themis error
   * marked `retryable` (UNAVAILABLE from a dropped connection, CONFLICT), or a socket error.
   * Retry only operations that are safe to repeat: reads, and writes whose ids make a
   * repeat a no-op.
   */
  readonly retryOn?: (error: unknown, attempt: number) => boolean;
  /** Stop retrying (the promise rejects with the signal's reason), e.g. when the backend closes. */
  readonly signal?: AbortSignal;
  /** Called before each retry (logging, metrics). */
  readonly onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
}

/** The default `retryOn` of {@link retryTransient}: `error.retryable === true`, or a network error. */
export function isRetryable(error: unknown): boolean {
  return (error as { retryable?: unknown } | null)?.retryable === true || isNetworkError(error);
}

/**
 * Run `operation`, again after failures that say nothing about the operation itself (a
 * dropped connection, a lost race), with exponential backoff: the retry loop of every
 * backend, written once on top of `p-retry`. The last failure is thrown unchanged, so map
 * it to a Themis error inside `operation` (or after).
 *
 * @example
 * ```ts
 * const rows = await retryTransient(() => readSegment(name), { retries: 5, signal: closing.signal });
 * ```
 */
export function retryTransient<T>(operation: (attempt: number) => Promise<T>, options: RetryTransientOptions = {}): Promise<T> {
  const retryOn = options.retryOn ?? isRetryable;
  return pRetry(
    async (attempt) => {
      try {
        return await operation(attempt);
      } catch (error) {
        // Decided here, not in p-retry's shouldRetry, so a refusal ends at once with the error as thrown.
        // (p-retry itself never retries a TypeError other than a network one: a bug, not a blip.)
        if (!retryOn(error, attempt)) throw new AbortError(asError(error));
        throw asError(error);
      }
    },
    {
      retries: options.retries ?? 3,
      minTimeout: options.minDelayMs ?? 100,
      maxTimeout: options.maxDelayMs ?? 2000,
      factor: 2,
      randomize: true,
      signal: options.signal,
      shouldRetry: () => true,
      onFailedAttempt: ({ error, attemptNumber, retriesLeft, retryDelay }) => {
        if (retriesLeft > 0) options.onRetry?.(error, attemptNumber, retryDelay);
      },
    },
  );
}

/** p-retry wants Error instances; a thrown non-Error is wrapped, keeping it as `cause`. */
function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error), { cause: error });
}
