import { JobFailedError, UnavailableError, toJobError } from "@themis/core";
import { Job, type Queue, type QueueEvents } from "bullmq";
import { BACKEND_NAME } from "./errors.js";
import type { WireResult } from "./wire.js";

interface Pending {
  resolve: (result: WireResult) => void;
  /** Adds the job again (same id) when Redis lost it. */
  resubmit: () => Promise<unknown>;
}

/** Settings of a {@link JobWatcher}. */
export interface WatcherSettings {
  pollIntervalMs: number;
  unavailableTimeoutMs: number;
  /** Scrubs secrets from messages built from client errors. */
  scrub: (text: string) => string;
}

/**
 * Waits for the results of the jobs a submitter added. Results normally arrive as
 * QueueEvents (one stream read for every job, so results stream as they complete); a
 * poll of each waited-for job's state every `pollIntervalMs` catches what events cannot:
 * events missed during a reconnect, a job that finished before a restarted submitter
 * reattached, a job a Redis restart lost (added again, same id). When Redis stays
 * unreachable for `unavailableTimeoutMs`, every waiting job fails with a retryable
 * ERR_THEMIS_UNAVAILABLE.
 */
export class JobWatcher {
  readonly #queue: Queue;
  readonly #settings: WatcherSettings;
  readonly #pending = new Map<string, Pending>();
  readonly #timer: NodeJS.Timeout;
  #unreachableSince: number | undefined;
  #polling = false;

  constructor(queue: Queue, events: QueueEvents, settings: WatcherSettings) {
    this.#queue = queue;
    this.#settings = settings;
    events.on("completed", ({ jobId, returnvalue }) => this.#settle(jobId, returnvalue as unknown as WireResult));
    events.on("failed", ({ jobId }) => void this.check(jobId));
    this.#timer = setInterval(() => void this.#poll(), settings.pollIntervalMs);
    this.#timer.unref();
  }

  /** Start waiting for `jobId` (before adding it, so no event is missed). */
  wait(jobId: string, resubmit: () => Promise<unknown>): Promise<WireResult> {
    return new Promise((resolve) => this.#pending.set(jobId, { resolve, resubmit }));
  }

  /** Stop waiting for `jobId`, resolving its waiter with `result`. */
  settle(jobId: string, result: WireResult): void {
    this.#settle(jobId, result);
  }

  /** True while something waits for `jobId`. */
  /** Ids of the jobs still awaited. */
  pendingIds(): string[] {
    return [...this.#pending.keys()];
  }

  waiting(jobId: string): boolean {
    return this.#pending.has(jobId);
  }

  #settle(jobId: string, result: WireResult): void {
    const pending = this.#pending.get(jobId);
    if (!pending) return;
    this.#pending.delete(jobId);
    pending.resolve(result);
  }

  /** Look the job up in Redis and settle it when it has finished (or add it again when it is gone). */
  async check(jobId: string): Promise<void> {
    const pending = this.#pending.get(jobId);
    if (!pending) return;
    const job = await Job.fromId(this.#queue, jobId);
    if (!job) {
      await pending.resubmit();
      return;
    }
    if (job.finishedOn === undefined) return;
    if (job.failedReason && job.returnvalue == null) {
      const error = new JobFailedError(`job ${jobId} failed on the queue: ${this.#settings.scrub(job.failedReason)}`, { backend: BACKEND_NAME });
      this.#settle(jobId, { ok: false, error: toJobError(error) });
    } else this.#settle(jobId, job.returnvalue as WireResult);
  }

  async #poll(): Promise<void> {
    if (this.#polling || this.#pending.size === 0) return;
    this.#polling = true;
    try {
      for (const jobId of [...this.#pending.keys()]) await this.check(jobId);
      this.#unreachableSince = undefined;
    } catch (error) {
      this.#unreachableSince ??= Date.now();
      if (Date.now() - this.#unreachableSince >= this.#settings.unavailableTimeoutMs) this.failAll(this.#unavailable(error));
    } finally {
      this.#polling = false;
    }
  }

  #unavailable(cause: unknown): UnavailableError {
    const message = this.#settings.scrub(cause instanceof Error ? cause.message : String(cause));
    return new UnavailableError(`Redis unreachable for ${this.#settings.unavailableTimeoutMs} ms (${message}); the job's outcome is unknown`, {
      backend: BACKEND_NAME,
      retryable: true,
    });
  }

  /** Fail every waiting job with `error` (Redis unreachable too long, executor closed). */
  failAll(error: Error): void {
    for (const jobId of [...this.#pending.keys()]) this.#settle(jobId, { ok: false, error: toJobError(error) });
  }

  /** Stop polling; waiters still pending are failed by the caller. */
  close(): void {
    clearInterval(this.#timer);
  }
}
