import type { FetchOptions, FetchResponse, RetryStrategy } from "box-node-sdk/networking";
import { backoffDelay } from "@themis/core";

/** Settings of {@link BoxRetryPolicy}. */
export interface BoxRetryPolicyOptions {
  /** Retries after the first attempt (429, 5xx, network errors). */
  retries: number;
  /** Base of the jittered exponential backoff, in ms. */
  baseDelayMs: number;
  /** Upper bound of one delay (backoff or a server's retry-after), in ms. */
  maxDelayMs: number;
}

/** A header's value whatever its case (HTTP header names are case-insensitive). */
function header(headers: Record<string, string> | undefined, name: string): string | undefined {
  if (!headers) return undefined;
  const wanted = name.toLowerCase();
  for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === wanted) return v;
  return undefined;
}

/**
 * Delay a server asked for with `retry-after` (seconds or an HTTP date), in ms, or
 * undefined when the header is absent or unreadable.
 */
export function retryAfterMs(value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined || value.trim() === "") return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * The SDK's retry hook, made to do what Box documents: retry 429 and 5xx answers and
 * network failures with jittered exponential backoff, waiting at least as long as a
 * `retry-after` header says. (The SDK's own BoxRetryStrategy looks the header up as
 * "Retry-After" in a lower-cased header map, so it never honours it.) A 401 refreshes
 * the token once for auth modes that can (CCG, JWT).
 *
 * Retried writes are safe here: new versions carry If-Match (a replay gets 412) and
 * creates answer 409 on a replay, which the backend resolves by re-reading.
 */
export class BoxRetryPolicy implements RetryStrategy {
  readonly options: BoxRetryPolicyOptions;

  constructor(options: BoxRetryPolicyOptions) {
    this.options = options;
  }

  async shouldRetry(fetchOptions: FetchOptions, response: FetchResponse, attempt: number): Promise<boolean> {
    if (attempt > this.options.retries) return false;
    const status = response.status;
    if (status === 0 || status === 429 || status >= 500) return true;
    if (status === 202 && header(response.headers, "retry-after") !== undefined) return true;
    if (status === 401 && attempt === 1 && fetchOptions.auth) {
      // Developer tokens cannot be refreshed: the SDK throws, and the 401 is reported as is.
      return fetchOptions.auth.refreshToken(fetchOptions.networkSession).then(
        () => true,
        () => false,
      );
    }
    return false;
  }

  /** Seconds to wait before the next attempt (the SDK's unit). */
  retryAfter(_fetchOptions: FetchOptions, response: FetchResponse, attempt: number): number {
    return this.delayMs(header(response.headers, "retry-after"), attempt) / 1000;
  }

  /** The delay before retry number `attempt` (1-based), honouring a retry-after value. */
  delayMs(retryAfter: string | undefined, attempt: number): number {
    const asked = retryAfterMs(retryAfter);
    if (asked !== undefined) return Math.min(asked, this.options.maxDelayMs);
    return backoffDelay({ minDelayMs: this.options.baseDelayMs, maxDelayMs: this.options.maxDelayMs }, attempt);
  }
}
