import type { JobError } from "../execution/contract.js";

/** Progress of an experiment run, reported after every finished (or skipped) row. */
export interface ExperimentProgress {
  readonly runId: string;
  /** Rows finished in this run (succeeded + failed). */
  readonly done: number;
  readonly succeeded: number;
  readonly failed: number;
  /** Rows skipped because an earlier run did them (`resume`), or another runner did them meanwhile. */
  readonly skipped: number;
  /** Rows in the dataset, when counted (always when `onProgress` or `onEvent` is given). */
  readonly total: number | undefined;
  readonly running: number;
  readonly elapsedMs: number;
  /** Rows finished per second in this run. */
  readonly ratePerSecond: number;
}

/**
 * What `runExperiment` tells `onEvent` listeners (the CLI turns them into progress lines
 * or JSON lines). Progress events are throttled (`progressIntervalMs`); the others are
 * sent as they happen.
 */
export type RunEvent =
  | {
      type: "run-started";
      runId: string;
      experiment: string;
      dataset: string;
      taskKey: string;
      codeHash: string | null;
      resume: boolean;
      total: number | undefined;
    }
  /** A resumed run found earlier runs of the same task and parameters with other code: their results are not reused. */
  | { type: "code-changed"; runId: string; previousRunId: string; previousCodeHash: string | null; codeHash: string | null }
  | ({ type: "progress" } & ExperimentProgress)
  | { type: "row-failed"; runId: string; datasetRowId: string; error: JobError }
  /** Storage could not be written or read (a heartbeat failed); the run keeps trying. */
  | { type: "storage-error"; runId: string; message: string }
  | { type: "cancel-requested"; runId: string; reason: string }
  | { type: "run-ended"; runId: string; status: string; succeeded: number; failed: number; skipped: number; durationMs: number; reason: string | null };

/** Calls a listener, never letting it break the run. */
export function emitter(listener: ((event: RunEvent) => void) | undefined): (event: RunEvent) => void {
  if (!listener) return () => undefined;
  return (event) => {
    try {
      listener(event);
    } catch {
      // A listener must not break the run.
    }
  };
}
