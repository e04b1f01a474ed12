import { hostname } from "node:os";
import { runState } from "@themis/core";
import type { PipelineRunRecord } from "./run-record.js";

/** Default milliseconds between heartbeats of a pipeline run record. */
export const PIPELINE_HEARTBEAT_MS = 2000;

function processGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    // EPERM: it exists under another user.
    return (error as NodeJS.ErrnoException).code === "ESRCH";
  }
}

/**
 * Whether a pipeline run still runs: its status, unless a "running" run's heartbeat is old
 * (core's rule: four missed beats) or its process is gone from this very host (a run killed
 * with kill -9 here is known dead at once instead of after four beats).
 */
export function isLive(record: PipelineRunRecord | undefined): boolean {
  if (record === undefined) return false;
  const state = runState({
    status: record.status,
    started_at: record.started_at,
    heartbeat_at: record.heartbeat_at ?? record.started_at,
    heartbeat_ms: record.heartbeat_ms ?? PIPELINE_HEARTBEAT_MS,
  });
  if (state !== "running") return false;
  return !(record.host === hostname() && record.pid !== process.pid && processGone(record.pid));
}
