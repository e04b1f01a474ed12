import { setTimeout as delay } from "node:timers/promises";
import type { ExecutionBackend, ExecutorDescription } from "../execution/contract.js";
import { toJsonRow } from "../rows.js";
import { redactUrls } from "../uri-text.js";

/** How long a run waits for an executor's `describe()` before it records `executorInfo: null`. */
export const DESCRIBE_TIMEOUT_MS = 5000;

/** The largest `describe()` answer kept (serialized): a run record is read often, keep it small. */
export const MAX_EXECUTOR_INFO_CHARS = 64 * 1024;

const TIMED_OUT = Symbol("timed out");

/**
 * What `executor.describe()` says about the executor, for a run's provenance: a JSON
 * object with credentials in URL-like strings masked (`redactUrls`), or null when the
 * executor has no `describe`, or it threw, took longer than `timeoutMs`, or answered
 * something that is not a JSON object (or is larger than {@link MAX_EXECUTOR_INFO_CHARS}).
 * Never throws: provenance must not be the reason a run fails.
 */
export async function describeExecutor(executor: ExecutionBackend | undefined, timeoutMs: number = DESCRIBE_TIMEOUT_MS): Promise<ExecutorDescription | null> {
  if (typeof executor?.describe !== "function") return null;
  const timer = new AbortController();
  try {
    // Called inside then(): a describe that throws synchronously is caught like a rejection.
    const facts = await Promise.race([Promise.resolve().then(() => executor.describe!()), delay(timeoutMs, TIMED_OUT, { signal: timer.signal, ref: false })]);
    if (facts === TIMED_OUT) return null;
    // toJsonRow refuses what a store could not keep exactly (functions, NaN, cycles, arrays).
    const text = JSON.stringify(toJsonRow(facts), (_key, value: unknown) => (typeof value === "string" ? redactUrls(value) : value));
    return text.length > MAX_EXECUTOR_INFO_CHARS ? null : (JSON.parse(text) as ExecutorDescription);
  } catch {
    return null;
  } finally {
    timer.abort();
  }
}
