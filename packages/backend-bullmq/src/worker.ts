import { hostname } from "node:os";
import { localBackend, parseBackendConfig, type ExecutionBackend, type JobResult } from "@themis/core";
import { type ConnectionOptions, type Job, UnrecoverableError, WaitingError, Worker } from "bullmq";
import type { Redis } from "ioredis";
import { cancelChannel, cancelKey, parseCancel } from "./cancel-channel.js";
import { type BullmqConfig, type BullmqConfigInput, bullmqConfigSchema } from "./config.js";
import { type ConnectionSettings, connect, connectionSettings } from "./connection.js";
import { scrubText as scrub } from "./scrub.js";
import { runWireJob, stopReason } from "./run-wire-job.js";
import { type WireJob, WIRE_VERSION } from "./wire.js";

/** One state change of a worker, for logs: what `themis worker` prints, one line each. */
export type WorkerEvent =
  | { type: "ready"; queue: string; redis: string; concurrency: number; id: string }
  | { type: "job-started"; jobId: string; kind: string; label: string; attempt: number }
  | { type: "job-finished"; jobId: string; label: string; ok: boolean; code?: string; durationMs: number }
  | { type: "job-cancelled"; jobId: string; reason: "timeout" | "aborted" }
  | { type: "job-handed-back"; jobId: string; label: string }
  | { type: "redis-error"; message: string }
  | { type: "stopping"; running: number; force: boolean }
  | { type: "stopped"; processed: number };

/** Options of {@link startWorker}. */
export interface StartWorkerOptions {
  /** Jobs run at once. Default 1. */
  concurrency?: number;
  /**
   * Worker threads for module jobs (each runs one job at a time). Default: `concurrency`.
   * Fewer threads than `concurrency` suits many short CPU-light jobs; keep them equal for
   * jobs that wait on I/O (model APIs), which would otherwise queue for a thread.
   */
  threads?: number;
  /** Stop after starting this many jobs. Default: no limit. */
  maxJobs?: number;
  /** Aborting stops the worker gracefully (running jobs finish). */
  signal?: AbortSignal;
  /** Called on every state change. Must not throw. */
  onEvent?: (event: WorkerEvent) => void;
}

/** A running worker. */
export interface BullmqWorker {
  /** "<host>:<pid>:<n>", as BullMQ shows it. */
  readonly id: string;
  /** Resolves when the worker has stopped (closed, or maxJobs reached and finished). */
  readonly stopped: Promise<void>;
  /**
   * Stop taking jobs. Default: running jobs finish first. `force`: running jobs are
   * stopped and handed back to the queue untouched (another worker runs them from the
   * start); a worker that dies instead has its jobs redelivered once their lock expires.
   */
  close(options?: { force?: boolean }): Promise<void>;
}

let workers = 0;

/** Stopping a job to give it back to the queue (forced stop), not because it was cancelled. */
const HAND_BACK = Symbol("hand back");

/** The state of one worker: its BullMQ Worker, its running jobs, its Redis connections. */
class WorkerRuntime {
  readonly config: BullmqConfig;
  readonly options: StartWorkerOptions;
  readonly settings: ConnectionSettings;
  readonly local: ExecutionBackend;
  readonly subscriber: Redis;
  readonly client: Redis;
  readonly running = new Map<string, AbortController>();
  readonly recentlyCancelled = new Set<string>();
  worker!: Worker<WireJob, JobResult>;
  started = 0;
  processed = 0;
  closing: Promise<void> | undefined;
  resolveStopped!: () => void;
  readonly stopped = new Promise<void>((resolve) => (this.resolveStopped = resolve));

  constructor(config: BullmqConfig, options: StartWorkerOptions, local: ExecutionBackend) {
    this.config = config;
    this.options = options;
    this.settings = connectionSettings(config);
    this.local = local;
    this.subscriber = connect(this.settings);
    this.client = connect(this.settings);
  }

  emit(event: WorkerEvent): void {
    try {
      this.options.onEvent?.(event);
    } catch {
      // A logger must not break the worker.
    }
  }

  redisError(error: unknown): void {
    this.emit({ type: "redis-error", message: scrub(String((error as Error)?.message ?? error), this.settings.secrets) });
  }

  /** Stop a running job on a cancel message; remember the id when it has not started yet. */
  onCancel(text: string): void {
    const message = parseCancel(text);
    if (!message) return;
    const controller = this.running.get(message.jobId);
    if (!controller) {
      rememberCancelled(this.recentlyCancelled, message.jobId);
      return;
    }
    this.emit({ type: "job-cancelled", jobId: message.jobId, reason: message.reason });
    controller.abort(stopReason(message.reason, message.timeoutMs));
  }

  async process(job: Job<WireJob>, token?: string): Promise<JobResult> {
    const wire = job.data;
    if (wire?.v !== WIRE_VERSION) throw new UnrecoverableError(`job ${job.id} is not a themis job of format ${WIRE_VERSION}`);
    // BullMQ may hand over one more job while it finishes another: past maxJobs, or once
    // stopping, give it back untouched (to the waiting list, attempts unchanged).
    if (this.closing !== undefined || (this.options.maxJobs !== undefined && this.started >= this.options.maxJobs)) return this.handBack(job, token);
    if (++this.started === this.options.maxJobs) void this.close();
    const id = job.id!;
    const controller = new AbortController();
    this.running.set(id, controller);
    const begin = performance.now();
    this.emit({ type: "job-started", jobId: id, kind: wire.job.kind, label: wire.label, attempt: wire.attempt });
    try {
      // A redelivered job may have been cancelled while no worker held it.
      if (
        this.recentlyCancelled.has(id) ||
        (job.attemptsStarted > 1 && (await this.client.exists(cancelKey(this.config.prefix, this.config.queue, id))) === 1)
      ) {
        controller.abort(stopReason("aborted"));
      }
      const result = await runWireJob(this.local, wire, controller.signal);
      if (controller.signal.reason === HAND_BACK && !result.ok) return await this.handBack(job, token);
      const durationMs = Math.round(performance.now() - begin);
      this.emit({ type: "job-finished", jobId: id, label: wire.label, ok: result.ok, ...(result.ok ? {} : { code: result.error.code }), durationMs });
      this.processed++;
      // Errors marked retryable go back to BullMQ while attempts remain (its backoff applies).
      if (!result.ok && result.error.retryable && job.attemptsMade + 1 < wire.attempts) throw new Error(result.error.message);
      return result;
    } finally {
      this.running.delete(id);
    }
  }

  async handBack(job: Job<WireJob>, token: string | undefined): Promise<never> {
    await job.moveToWait(token);
    this.emit({ type: "job-handed-back", jobId: job.id!, label: job.data.label });
    throw new WaitingError();
  }

  close(options: { force?: boolean } = {}): Promise<void> {
    if (options.force) for (const c of this.running.values()) c.abort(HAND_BACK);
    if (this.closing) return this.closing;
    this.emit({ type: "stopping", running: this.running.size, force: Boolean(options.force) });
    this.closing = (async () => {
      // Running jobs finish (or, forced, are handed back) before BullMQ lets go.
      await this.worker.close();
      await this.local.close();
      this.subscriber.disconnect();
      this.client.disconnect();
      this.emit({ type: "stopped", processed: this.processed });
      this.resolveStopped();
    })();
    return this.closing;
  }
}

/**
 * Start a worker that pulls module and command jobs from the config's queue and runs them
 * with core's "local" executor (modules on worker threads, commands as process groups).
 * It stops jobs its submitters cancel or time out (pub/sub), and its lock renewal tells
 * BullMQ it is alive: if it dies, its jobs are redelivered to other workers.
 */
export async function startWorker(input: BullmqConfigInput | BullmqConfig, options: StartWorkerOptions = {}): Promise<BullmqWorker> {
  const config = bullmqConfigSchema.parse(input);
  const concurrency = Math.max(1, Math.min(options.concurrency ?? 1, options.maxJobs ?? Number.POSITIVE_INFINITY));
  const threads = Math.max(1, Math.min(options.threads ?? concurrency, concurrency));
  const local = await localBackend.create(parseBackendConfig(localBackend, { concurrency, maxThreads: threads }));
  const rt = new WorkerRuntime(config, options, local);
  rt.subscriber.on("message", (_channel: string, text: string) => rt.onCancel(text));
  for (const c of [rt.subscriber, rt.client]) c.on("error", (error: Error) => rt.redisError(error));
  await rt.subscriber.subscribe(cancelChannel(config.prefix, config.queue));
  rt.worker = new Worker<WireJob, JobResult>(config.queue, (job, token) => rt.process(job, token), {
    connection: rt.settings.options as ConnectionOptions,
    prefix: config.prefix,
    concurrency,
    lockDuration: config.lockDurationMs,
    stalledInterval: config.stalledIntervalMs,
    maxStalledCount: config.maxStalledCount,
    autorun: false,
  });
  rt.worker.on("error", (error: Error) => rt.redisError(error));
  options.signal?.addEventListener("abort", () => void rt.close(), { once: true });
  await rt.worker.waitUntilReady();
  void rt.worker.run().catch((error: unknown) => rt.redisError(error));
  const id = `${hostname()}:${process.pid}:${++workers}`;
  rt.emit({ type: "ready", queue: config.queue, redis: rt.settings.address, concurrency, id });
  return { id, stopped: rt.stopped, close: (o) => rt.close(o) };
}

function rememberCancelled(set: Set<string>, jobId: string): void {
  set.add(jobId);
  // Bounded: only jobs about to start matter; old ids are dropped first.
  if (set.size > 10_000) set.delete(set.values().next().value!);
}

export type { BullmqConfig };
