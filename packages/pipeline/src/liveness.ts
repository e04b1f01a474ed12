import { type HeartbeatWatch, runState } from "@themis/core";
import type { PipelineRunRecord } from "./run-record.js";

/** Default milliseconds between heartbeats of a pipeline run record. */
export const PIPELINE_HEARTBEAT_MS = 2000;

/**
 * Whether a pipeline run still runs: its status, unless a "running" run's heartbeat is old
 * (core's rule: four missed beats) or its process is gone from this very host and pid
 * namespace (core's `runnerGone`: a run killed with kill -9 here is known dead at once
 * instead of after four beats). Records of earlier versions have only host and pid.
 *
 * With `watch` (kept for successive looks, as claims do), "old" is judged on this machine's
 * own clock: the heartbeat has not changed for four beats (see core's HeartbeatWatch), so a
 * machine whose clock is off does not take a live run for dead. Without it (a single look:
 * resume, cancel), the wall clocks of the two machines are compared.
 */
export function isLive(record: PipelineRunRecord | undefined, watch?: HeartbeatWatch): boolean {
  if (record === undefined) return false;
  const beat = {
    status: record.status,
    started_at: record.started_at,
    heartbeat_at: record.heartbeat_at ?? record.started_at,
    heartbeat_ms: record.heartbeat_ms ?? PIPELINE_HEARTBEAT_MS,
    runner: record.runner ?? { host: record.host, pid: record.pid, boot: null, start: null, pidns: null },
  };
  return (watch ? watch.state(record._row_id, beat) : runState(beat)) === "running";
}
