import { UnavailableError } from "../errors.js";
import type { Table } from "../storage/table.js";
import { type CancelRequest, cancelRequestOf } from "./cancel.js";
import type { RunCounts, RunRecord } from "./run-record.js";

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
  /** No beat got through for the whole deadline: stop the run. */
  onDeadline(error: UnavailableError): void;
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
 * every second: a beat hanging for 2 s is reported at once (an unreachable server can keep
 * a client retrying for much longer), and none getting through for `deadlineMs` stops the run.
 */
export class RunHeartbeat {
  readonly #runs: Table;
  readonly #cancels: Table;
  readonly #hooks: HeartbeatHooks;
  readonly #settings: HeartbeatSettings;
  #record: RunRecord;
  #timer: NodeJS.Timeout | undefined;
  #chain: Promise<void> = Promise.resolve();
  #stopped = false;
  #lastBeat = 0;
  #lastSuccess = Date.now();
  #pendingSince: number | undefined;
  #reported = false;

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
    this.#lastBeat = this.#lastSuccess = Date.now();
    this.#timer = setInterval(() => this.#tick(), Math.min(this.#settings.intervalMs, 1000));
    // A run's own work keeps the process alive; the heartbeat must not.
    this.#timer.unref();
  }

  #tick(): void {
    const now = Date.now();
    if (this.#pendingSince !== undefined && now - this.#pendingSince >= STORAGE_SLOW_MS && !this.#reported) {
      this.#reported = true;
      this.#hooks.onError(new UnavailableError(`storage has not answered for ${Math.round((now - this.#pendingSince) / 1000)} s; still trying`));
    }
    if (now - this.#lastSuccess >= this.#settings.deadlineMs) {
      this.#hooks.onDeadline(new UnavailableError(`storage unreachable for ${Math.round((now - this.#lastSuccess) / 1000)} s: run stopped (finished rows that were written are kept)`));
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
        this.#record = { ...this.#record, heartbeat_at: new Date().toISOString(), counts: this.#hooks.counts() };
        await this.#runs.update(this.#record.run_id, this.#record);
        const request = await cancelRequestOf(this.#cancels, this.#record.run_id);
        this.#lastSuccess = Date.now();
        this.#reported = false;
        if (request) this.#hooks.onCancel(request);
      } catch (error) {
        this.#hooks.onError(error);
      } finally {
        this.#pendingSince = undefined;
      }
    });
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
