import type { Table } from "../storage/table.js";
import { type CancelRequest, cancelRequestOf } from "./cancel.js";
import type { RunCounts, RunRecord } from "./run-record.js";

/** What the heartbeat needs from the run. */
export interface HeartbeatHooks {
  /** The counters to write with each beat. */
  counts(): RunCounts;
  /** A cancel request was found: stop the run. */
  onCancel(request: CancelRequest): void;
  /** A beat could not be written or read (storage unreachable); the next beat tries again. */
  onError(error: unknown): void;
}

/**
 * Keeps a run record alive: every `intervalMs` it rewrites the record with a fresh
 * `heartbeat_at` and the current counts, and looks for a cancel request. Writes are
 * serialized, so the final record is never overwritten by a late beat.
 */
export class RunHeartbeat {
  readonly #runs: Table;
  readonly #cancels: Table;
  readonly #hooks: HeartbeatHooks;
  readonly #intervalMs: number;
  #record: RunRecord;
  #timer: NodeJS.Timeout | undefined;
  #chain: Promise<void> = Promise.resolve();
  #stopped = false;

  constructor(runs: Table, cancels: Table, record: RunRecord, intervalMs: number, hooks: HeartbeatHooks) {
    this.#runs = runs;
    this.#cancels = cancels;
    this.#record = record;
    this.#intervalMs = intervalMs;
    this.#hooks = hooks;
  }

  /** Write the first record (append) and start beating. */
  async start(): Promise<void> {
    await this.#runs.append({ ...this.#record, _row_id: this.#record.run_id });
    this.#timer = setInterval(() => this.#beat(), this.#intervalMs);
    // A run's own work keeps the process alive; the heartbeat must not.
    this.#timer.unref();
  }

  #beat(): void {
    if (this.#stopped) return;
    this.#chain = this.#chain.then(async () => {
      if (this.#stopped) return;
      try {
        this.#record = { ...this.#record, heartbeat_at: new Date().toISOString(), counts: this.#hooks.counts() };
        await this.#runs.update(this.#record.run_id, this.#record);
        const request = await cancelRequestOf(this.#cancels, this.#record.run_id);
        if (request) this.#hooks.onCancel(request);
      } catch (error) {
        this.#hooks.onError(error);
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
