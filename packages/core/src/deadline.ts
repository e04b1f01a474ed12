import { z } from "zod";
import { ThemisError, type ThemisErrorOptions } from "./errors.js";

/**
 * The longest delay a Node timer keeps: 2^31 - 1 ms (about 24.8 days). A longer one is
 * silently replaced by 1 ms, so a "3e9 ms" timeout would fire at once: every duration
 * Themis accepts is checked against this bound instead.
 */
export const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/**
 * The zod schema of a duration in milliseconds that a timer can hold: a whole number from 1
 * to {@link MAX_TIMEOUT_MS}. Backends use it for every timeout-like config field.
 *
 * @example
 * ```ts
 * const schema = z.strictObject({ requestTimeoutMs: timeoutMsSchema.default(30_000) });
 * ```
 */
export const timeoutMsSchema = z
  .int()
  .min(1, "expected a number of milliseconds >= 1")
  .max(MAX_TIMEOUT_MS, `at most ${MAX_TIMEOUT_MS} ms (about 24.8 days): longer timers fire at once in Node`);

/** Throws a RangeError unless `ms` is a whole number of milliseconds a timer can hold. */
export function assertTimeoutMs(what: string, ms: number): void {
  if (!Number.isInteger(ms) || ms < 1 || ms > MAX_TIMEOUT_MS) {
    throw new RangeError(`${what} must be a whole number of milliseconds from 1 to ${MAX_TIMEOUT_MS}, got ${ms}`);
  }
}

/**
 * A network operation or a load that did not finish in time. Code `ERR_THEMIS_TIMEOUT`,
 * retryable (the next attempt may be luckier).
 */
export class DeadlineError extends ThemisError {
  /** The deadline that passed, in milliseconds. */
  readonly timeoutMs: number;
  constructor(what: string, timeoutMs: number, options?: ThemisErrorOptions) {
    super("ERR_THEMIS_TIMEOUT", `${what} did not finish within ${timeoutMs} ms`, { retryable: true, ...options });
    this.timeoutMs = timeoutMs;
  }
}

/**
 * `work`, unless it does not settle within `timeoutMs`: then a {@link DeadlineError}
 * naming `what` (and `onTimeout` runs, to release what the work holds, e.g. a socket).
 * The work itself cannot be cancelled here; its late result or failure is ignored.
 */
export async function withDeadline<T>(
  work: Promise<T>,
  timeoutMs: number,
  what: string,
  options: ThemisErrorOptions & { onTimeout?: () => void } = {},
): Promise<T> {
  assertTimeoutMs("a deadline", timeoutMs);
  const { onTimeout, ...errorOptions } = options;
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      try {
        onTimeout?.();
      } finally {
        reject(new DeadlineError(what, timeoutMs, errorOptions));
      }
    }, timeoutMs);
  });
  // A late rejection of `work` after the deadline must not become an unhandled rejection.
  work.catch(() => undefined);
  try {
    return await Promise.race([work, expired]);
  } finally {
    clearTimeout(timer);
  }
}
