import type { Row } from "../rows.js";
import { type ExperimentProgress, emitter } from "./run-events.js";
import type { RunExperimentOptions } from "./run-options.js";

/** Counters of a run in progress. */
export interface Counters {
  succeeded: number;
  failed: number;
  skipped: number;
  claimedElsewhere: number;
  running: number;
  total: number | undefined;
}

/**
 * Calls `onProgress` after every row and sends a progress event at most every
 * `progressIntervalMs`; `final` sends the last event (the row's call was made already).
 */
export function progressReporter<I extends Row>(
  run: { runId: string; started: number },
  // biome-ignore lint/suspicious/noExplicitAny: the options of a run of any output type
  options: RunExperimentOptions<I, never> | RunExperimentOptions<I, any>,
  c: Counters,
): (final?: boolean) => void {
  const emit = emitter(options.onEvent);
  const interval = options.progressIntervalMs ?? 1000;
  let lastEvent = 0;
  return (final = false) => {
    if (!options.onProgress && !options.onEvent) return;
    const elapsedMs = performance.now() - run.started;
    // Events alone are throttled: most rows have nothing to report (and no object to build).
    if (!options.onProgress && !final && elapsedMs - lastEvent < interval) return;
    const finished = c.succeeded + c.failed;
    const p: ExperimentProgress = {
      runId: run.runId,
      done: finished,
      succeeded: c.succeeded,
      failed: c.failed,
      skipped: c.skipped + c.claimedElsewhere,
      total: c.total,
      running: c.running,
      elapsedMs,
      ratePerSecond: elapsedMs > 0 ? (finished * 1000) / elapsedMs : 0,
    };
    if (options.onProgress && !final) {
      try {
        options.onProgress(p);
      } catch {
        // A progress callback must not break the run.
      }
    }
    if (options.onEvent && (final || elapsedMs - lastEvent >= interval)) {
      lastEvent = elapsedMs;
      emit({ type: "progress", ...p });
    }
  };
}
