import { DEFAULT_HEARTBEAT_MS, type RunLiveness, type RunState, STALE_AFTER_BEATS, runnerGone } from "./run-record.js";

/**
 * How far another machine's wall clock may be off this one's without a {@link HeartbeatWatch}
 * taking a live run for dead at first sight: 5 minutes.
 */
export const CLOCK_SKEW_TOLERANCE_MS = 5 * 60_000;

/** Clocks of a {@link HeartbeatWatch}; tests inject their own. */
export interface HeartbeatWatchOptions {
  /** Monotonic milliseconds (default `performance.now`): what staleness is measured on. */
  now?: () => number;
  /** Wall-clock milliseconds since the epoch (default `Date.now`): used only at first sight. */
  wallNow?: () => number;
}

/** What a watch needs of a run record. */
export type WatchedRecord = RunLiveness;

interface Seen {
  /** The `heartbeat_at` text last seen: compared, never read as a time. */
  beat: string;
  /** Reader's monotonic time when that value was first seen. */
  since: number;
  /** Judged dead at first sight (heartbeat far older than any plausible clock skew). */
  dead: boolean;
}

/**
 * Judges whether running runs are alive on the reader's own clock, for deciding to take over
 * another runner's work (block claims). `runState` compares a run's `heartbeat_at`
 * (the writer's wall clock) with the reader's wall clock, so a reader whose clock runs
 * ahead takes live runs for dead and one behind never sees dead runs die (`runState` is
 * still what displays runs: `themis runs list`, where a one-off look has nothing to
 * compare with). A watch instead
 * remembers, per run id, the last `heartbeat_at` seen and when (on `performance.now()`) it
 * was first seen: a run is "stale" once its `heartbeat_at` has not changed for
 * {@link STALE_AFTER_BEATS} of its intervals. Only at first sight, with nothing remembered,
 * are wall clocks compared: a run whose heartbeat is older than that plus
 * {@link CLOCK_SKEW_TOLERANCE_MS} is stale at once (a run dead for long, found by a resumer
 * after a crash); any other is watched from then on. Keep one watch for successive looks
 * (one per runner): a new watch starts from nothing. A run whose process is known gone from
 * this host ({@link runnerGone}: kill -9, a crash) is stale at once, whatever its heartbeat.
 */
export class HeartbeatWatch {
  readonly #seen = new Map<string, Seen>();
  readonly #now: () => number;
  readonly #wallNow: () => number;

  constructor(options: HeartbeatWatchOptions = {}) {
    this.#now = options.now ?? (() => performance.now());
    this.#wallNow = options.wallNow ?? Date.now;
  }

  /** What run `runId` is now: its stored status, or "stale" for a running run whose heartbeat stopped changing. */
  state(runId: string, record: WatchedRecord): RunState {
    if (record.status !== "running") {
      // An ended run does not run again: nothing to remember.
      this.#seen.delete(runId);
      return record.status;
    }
    if (runnerGone(record)) return "stale";
    const beat = String(record.heartbeat_at ?? record.started_at);
    const interval = typeof record.heartbeat_ms === "number" && record.heartbeat_ms > 0 ? record.heartbeat_ms : DEFAULT_HEARTBEAT_MS;
    const window = STALE_AFTER_BEATS * interval;
    const now = this.#now();
    const seen = this.#seen.get(runId);
    if (seen === undefined) {
      const age = this.#wallNow() - Date.parse(beat);
      const dead = Number.isFinite(age) && age > window + CLOCK_SKEW_TOLERANCE_MS;
      this.#seen.set(runId, { beat, since: now, dead });
      return dead ? "stale" : "running";
    }
    if (seen.beat !== beat) {
      // It beat since the last look: alive, watched afresh from now.
      this.#seen.set(runId, { beat, since: now, dead: false });
      return "running";
    }
    return seen.dead || now - seen.since > window ? "stale" : "running";
  }
}
