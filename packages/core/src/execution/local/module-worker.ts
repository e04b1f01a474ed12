/**
 * Runs inside a worker thread of the local executor's pool (piscina): imports a module once
 * per worker, calls the requested export with the JSON input, and returns a tagged result.
 * Errors are serialized here because structured clone drops an error's own properties
 * (`code`, `retryable`) that retries are decided by.
 */
import { threadId } from "node:worker_threads";
import type { JobResult } from "../contract.js";
import { AbortedError, toJobError } from "../errors.js";

/** What the main thread sends for one module job. */
export interface ModuleWorkerTask {
  url: string;
  exportName: string;
  input: unknown;
  attempt: number;
  index: number;
  /**
   * When a thread runs several jobs at once: [thread id, stopped flag], shared with the main
   * thread, which terminates this job's thread to stop it (set here when the job starts).
   */
  control?: Int32Array;
}

const modules = new Map<string, Promise<Record<string, unknown>>>();
// A worker is terminated (not signalled) when its job is stopped: this signal never aborts.
const neverAborted = new AbortController().signal;

export default async function runModuleTask(task: ModuleWorkerTask): Promise<JobResult> {
  if (task.control) {
    // Stopped while it waited in the queue: do not start it.
    if (Atomics.load(task.control, 1) === 1) return { ok: false, error: toJobError(new AbortedError("stopped before it started")) };
    Atomics.store(task.control, 0, threadId);
  }
  try {
    let loading = modules.get(task.url);
    if (!loading) {
      loading = import(task.url) as Promise<Record<string, unknown>>;
      modules.set(task.url, loading);
      loading.catch(() => modules.delete(task.url));
    }
    const mod = await loading;
    const fn = mod[task.exportName];
    if (typeof fn !== "function") {
      const found = Object.keys(mod).filter((k) => typeof mod[k] === "function");
      throw Object.assign(new TypeError(`export "${task.exportName}" of ${task.url} is not a function (functions exported: ${found.join(", ") || "none"})`), {
        code: "ERR_THEMIS_INVALID_EXPORT",
      });
    }
    const value: unknown = await (fn as (input: unknown, context: unknown) => unknown)(task.input, {
      signal: neverAborted,
      attempt: task.attempt,
      index: task.index,
    });
    // Module jobs exchange JSON, whichever executor runs them: the same value comes back
    // from a worker, a process or a container.
    return { ok: true, value: value === undefined ? null : JSON.parse(JSON.stringify(value)) };
  } catch (error) {
    return { ok: false, error: toJobError(error) };
  }
}
