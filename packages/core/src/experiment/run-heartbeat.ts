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
  /** Storage stayed unreachable for the whole deadline: stop the run. */
  onDeadline(error: UnavailableError): void;
  /** Since when the run's other storage write under way (results) has been waiting, if one is. */
  writingSince(): number | undefined;
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
 * (a write hanging, or beats failing) for `deadlineMs` stops the run.
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
  /** Start of the beat under way, if one is. */
  #pendingSince: number | undefined;
  /** Time of the first failed beat since the last one that got through. */
  #failingSince: number | undefined;
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
    this.#lastBeat = Date.now();
    this.#timer = setInterval(() => this.#tick(), Math.min(this.#settings.intervalMs, 1000));
    // A run's own work keeps the process alive; the heartbeat must not.
    this.#timer.unref();
  }

  #tick(): void {
    const now = Date.now();
    // Trouble since: the oldest write still waiting, or the first of a streak of failed beats.
    const since = Math.min(this.#pendingSince ?? now, this.#hooks.writingSince() ?? now, this.#failingSince ?? now);
    if (now - since >= STORAGE_SLOW_MS && !this.#reported) {
      this.#reported = true;
      this.#hooks.onError(new UnavailableError(`storage has not answered for ${Math.round((now - since) / 1000)} s; still trying`));
    }
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
        this.#record = { ...this.#record, heartbeat_at: new Date().toISOString(), counts: this.#hooks.counts() };
        await this.#runs.update(this.#record.run_id, this.#record);
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

  /** Stop beating and write the final record (after any beat under way). */
  async finish(patch: Partial<RunRecord>): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    await this.#chain;
    this.#record = { ...this.#record, ...patch, heartbeat_at: new Date().toISOString() };
    await this.#runs.update(this.#record.run_id, this.#record);
  }
}
