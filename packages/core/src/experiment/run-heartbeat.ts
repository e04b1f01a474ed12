import { setTimeout as delay } from "node:timers/promises";
import { UnavailableError } from "../errors.js";
import type { Table } from "../storage/table.js";
import { type CancelRequest, cancelRequestOf } from "./cancel.js";
import { type RunCounts, type RunRecord, STALE_AFTER_BEATS } from "./run-record.js";

/** A storage write taking longer than this is reported (the run keeps waiting for it). */
export const STORAGE_SLOW_MS = 2000;

/** What the heartbeat needs from the run. */
export interface HeartbeatHooks {
  /** The counters to write with each beat. */
  counts(): RunCounts;
  /** A cancel request was found: stop the run. */
  onCancel(request: CancelRequest): void;
  /** A beat failed or has not answered for {@link STORAGE_SLOW_MS}; the next beat tries again. */
  onError(error: unknown): void;
  /** Storage stayed unreachable for the whole deadline: stop the run. */
  onDeadline(error: UnavailableError): void;
  /** Since when the run's other storage write under way (results) has been waiting, if one is. */
  writingSince(): number | undefined;
}

/**
 * Intervals without a beat getting through after which a run counts itself as possibly seen
 * stale by other runners: one less than {@link STALE_AFTER_BEATS}, so that a runner doubts
 * itself before the others give up on it (a slow write, a clock a little ahead elsewhere).
 */
export const LAPSE_BEATS = STALE_AFTER_BEATS - 1;

/** What the rows of a run need to know of its heartbeat (see {@link RunHeartbeat.lease}). */
export interface Lease {
  /** Number of lapses so far: a block claimed under an older number may have been taken over. */
  readonly epoch: number;
  /** Resolves with the current epoch once the run's record is fresh (waits for a beat after a lapse). */
  fresh(signal: AbortSignal): Promise<number>;
  /** The current epoch while the run's record is fresh, without waiting; undefined after a lapse (then call `fresh`). */
  current(): number | undefined;
}

/** Settings of a {@link RunHeartbeat}. */
export interface HeartbeatSettings {
  intervalMs: number;
  /** Milliseconds without a successful beat after which the run stops. */
  deadlineMs: number;
}

/**
 * Keeps a run record alive: every `intervalMs` it rewrites the record with a fresh
 * `heartbeat_at` and the current counts, and looks for a cancel request. Writes are
 * serialized, so the final record is never overwritten by a late beat. A watchdog checks
 * every second: a beat or a result write hanging for 2 s is reported at once (an unreachable
 * server can keep a client retrying for much longer), and storage that stays unreachable
 * for `deadlineMs` stops the run: a beat hanging, beats failing, or a result write waiting
 * with no beat acknowledged since it started (a slow write while beats get through is not
 * unreachable storage).
 */
export class RunHeartbeat implements Lease {
  readonly #runs: Table;
  readonly #cancels: Table;
  readonly #hooks: HeartbeatHooks;
  readonly #settings: HeartbeatSettings;
  #record: RunRecord;
  #timer: NodeJS.Timeout | undefined;
  #chain: Promise<void> = Promise.resolve();
  #stopped = false;
  #lastBeat = 0;
  /** Start of the beat under way, if one is. */
  #pendingSince: number | undefined;
  /** Time of the first failed beat since the last one that got through. */
  #failingSince: number | undefined;
  /** When the last beat was acknowledged: storage answered then. */
  #ackAt = 0;
  #reported = false;
  /** `heartbeat_at` (ms) of the last beat that got through: what other runners judge staleness by. */
  #freshAt = 0;
  /** Lapses so far: beats that got through more than {@link LAPSE_BEATS} intervals after the previous one. */
  #epoch = 0;

  constructor(runs: Table, cancels: Table, record: RunRecord, settings: HeartbeatSettings, hooks: HeartbeatHooks) {
    this.#runs = runs;
    this.#cancels = cancels;
    this.#record = record;
    this.#settings = settings;
    this.#hooks = hooks;
  }

  /** Write the first record (append) and start beating. */
  async start(): Promise<void> {
    await this.#runs.append({ ...this.#record, _row_id: this.#record.run_id });
    this.#lastBeat = this.#ackAt = Date.now();
    this.#freshAt = Date.parse(this.#record.heartbeat_at) || this.#lastBeat;
    this.#timer = setInterval(() => this.#tick(), Math.min(this.#settings.intervalMs, 1000));
    // A run's own work keeps the process alive; the heartbeat must not.
    this.#timer.unref();
  }

  #tick(): void {
    const now = Date.now();
    const writing = this.#hooks.writingSince();
    // Slow since: the oldest write still waiting, or the first of a streak of failed beats.
    const slowSince = Math.min(this.#pendingSince ?? now, writing ?? now, this.#failingSince ?? now);
    if (now - slowSince >= STORAGE_SLOW_MS && !this.#reported) {
      this.#reported = true;
      this.#hooks.onError(new UnavailableError(`storage has not answered for ${Math.round((now - slowSince) / 1000)} s; still trying`));
    }
    // Unreachable since: a result write counts only since the last acknowledged beat, as a beat
    // that got through meanwhile shows the storage answers (the write is just slow: a huge batch).
    const writingTrouble = writing === undefined ? now : Math.max(writing, this.#ackAt);
    const since = Math.min(this.#pendingSince ?? now, writingTrouble, this.#failingSince ?? now);
    if (now - since >= this.#settings.deadlineMs) {
      this.#hooks.onDeadline(
        new UnavailableError(`storage unreachable for ${Math.round((now - since) / 1000)} s: run stopped (finished rows that were written are kept)`),
      );
    }
    if (now - this.#lastBeat >= this.#settings.intervalMs && this.#pendingSince === undefined) {
      this.#lastBeat = now;
      this.#beat();
    }
  }

  #beat(): void {
    if (this.#stopped) return;
    this.#pendingSince = Date.now();
    this.#chain = this.#chain.then(async () => {
      if (this.#stopped) return;
      try {
        const at = Date.now();
        this.#record = { ...this.#record, heartbeat_at: new Date(at).toISOString(), counts: this.#hooks.counts() };
        await this.#runs.update(this.#record.run_id, this.#record);
        this.#ackAt = Date.now();
        // Measured when the write is acknowledged: a slow write may have let others see the old beat as stale.
        if (Date.now() - this.#freshAt > this.#lapseMs) this.#epoch++;
        this.#freshAt = at;
        const request = await cancelRequestOf(this.#cancels, this.#record.run_id);
        this.#failingSince = undefined;
        this.#reported = false;
        if (request) this.#hooks.onCancel(request);
      } catch (error) {
        this.#failingSince ??= Date.now();
        this.#hooks.onError(error);
      } finally {
        this.#pendingSince = undefined;
      }
    });
  }

  get #lapseMs(): number {
    return LAPSE_BEATS * this.#settings.intervalMs;
  }

  /**
   * The run's lease on the blocks it claimed (see {@link Lease}). A run whose beats stop getting
   * through (the process frozen by SIGSTOP or a debugger, a machine asleep, storage unreachable)
   * is taken for dead by the others after {@link STALE_AFTER_BEATS} intervals and its blocks are
   * taken over; when it comes back it must not start more rows of them. `fresh` makes the run
   * wait for a beat once it has lapsed, and `epoch` counts lapses, so that rows of a block
   * claimed before a lapse start only after the claim is checked again (`BlockClaims.stillHolds`).
   */
  get epoch(): number {
    return this.#epoch;
  }

  /** See {@link Lease.fresh}. */
  async fresh(signal: AbortSignal): Promise<number> {
    while (!this.#stopped && !signal.aborted && Date.now() - this.#freshAt > this.#lapseMs) {
      if (this.#pendingSince === undefined) {
        this.#lastBeat = Date.now();
        this.#beat();
      }
      await this.#chain;
      // The beat failed (storage down): the watchdog stops the run once past its deadline.
      if (Date.now() - this.#freshAt > this.#lapseMs) await delay(Math.min(this.#settings.intervalMs, 1000), undefined, { signal }).catch(() => undefined);
    }
    return this.#epoch;
  }

  /** See {@link Lease.current}: answers as `fresh` would at once, undefined where `fresh` would wait. */
  current(): number | undefined {
    return this.#stopped || Date.now() - this.#freshAt <= this.#lapseMs ? this.#epoch : undefined;
  }

  /** Stop beating and write the final record (after any beat under way). */
  async finish(patch: Partial<RunRecord>): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    await this.#chain;
    this.#record = { ...this.#record, ...patch, heartbeat_at: new Date().toISOString() };
    await this.#runs.update(this.#record.run_id, this.#record);
  }
}
