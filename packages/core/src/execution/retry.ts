import { MAX_TIMEOUT_MS } from "../deadline.js";
import type { JobError, JobFailure } from "./contract.js";

/** How `map` retries a failed job. */
export interface RetryOptions {
  /** Retries after the first attempt (0 = no retry). Default: 0. */
  retries: number;
  /** Backoff before the first retry, in ms (the upper bound of its jittered delay). Default: 100. */
  minDelayMs?: number;
  /** Upper bound of any backoff, in ms. Default: 10 000. */
  maxDelayMs?: number;
  /** Growth of the backoff per attempt. Default: 2. */
  factor?: number;
  /**
   * Decide whether a failure is worth another attempt. Default: the error's `retryable`
   * flag (set by the thrown error, e.g. core's UnavailableError and ConflictError). Decide
   * by `error.code`, `error.name` or `failure.exitCode`, never by message text.
   * Cancelled jobs are never retried.
   */
  retryOn?: (error: JobError, failure: JobFailure, attempt: number) => boolean;
}

/** Retry options with every default filled in. */
export type ResolvedRetry = Required<RetryOptions>;

/** Fill in the defaults of `map`'s `retries` option (a count or options); RangeError when invalid. */
export function resolveRetry(retries: number | RetryOptions | undefined): ResolvedRetry {
  const o: RetryOptions = typeof retries === "number" ? { retries } : (retries ?? { retries: 0 });
  if (!Number.isInteger(o.retries) || o.retries < 0) throw new RangeError(`retries must be a non-negative integer, got ${o.retries}`);
  for (const key of ["minDelayMs", "maxDelayMs"] as const) {
    const ms = o[key];
    // A delay past the timer limit would fire after 1 ms: a retry storm instead of a pause.
    if (ms !== undefined && !(ms >= 0 && ms <= MAX_TIMEOUT_MS)) throw new RangeError(`retries.${key} must be from 0 to ${MAX_TIMEOUT_MS} ms, got ${ms}`);
  }
  return {
    retries: o.retries,
    minDelayMs: o.minDelayMs ?? 100,
    maxDelayMs: o.maxDelayMs ?? 10_000,
    factor: o.factor ?? 2,
    retryOn: o.retryOn ?? ((error) => error.retryable),
  };
}

/** The shape of an exponential backoff: first delay, cap, growth factor (default 2). */
export interface BackoffPolicy {
  minDelayMs: number;
  maxDelayMs: number;
  factor?: number;
}

/**
 * Backoff before retry number `attempt` (1-based): exponential, capped, with full jitter
 * (uniform between 0 and the cap) so many failing clients do not retry in lockstep. The one
 * backoff of the project: executors' retries and backends' reconnects and request retries.
 */
export function backoffDelay(policy: BackoffPolicy, attempt: number, random: () => number = Math.random): number {
  const cap = Math.min(policy.maxDelayMs, policy.minDelayMs * (policy.factor ?? 2) ** Math.max(0, attempt - 1));
  return Math.round(random() * cap);
}
