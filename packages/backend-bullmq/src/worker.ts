import { hostname } from "node:os";
import { localBackend, parseBackendConfig, type ExecutionBackend, type JobResult } from "@themis/core";
import { type ConnectionOptions, type Job, UnrecoverableError, WaitingError, Worker } from "bullmq";
import type { Redis } from "ioredis";
import { cancelChannel, cancelKey, parseCancel } from "./cancel-channel.js";
import { type BullmqConfig, type BullmqConfigInput, bullmqConfigSchema } from "./config.js";
import { connect, connectionSettings } from "./connection.js";
import { scrubText as scrub } from "./scrub.js";
import { runWireJob, stopReason } from "./run-wire-job.js";
import { type WireJob, WIRE_VERSION } from "./wire.js";

/** One state change of a worker, for logs: what `themis worker` prints, one line each. */
export type WorkerEvent =
  | { type: "ready"; queue: string; redis: string; concurrency: number; id: string }
  | { type: "job-started"; jobId: string; kind: string; label: string; attempt: number }
  | { type: "job-finished"; jobId: string; label: string; ok: boolean; code?: string; durationMs: number }
  | { type: "job-cancelled"; jobId: string; reason: "timeout" | "aborted" }
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
   * Stop taking jobs. Default: running jobs finish first. `force`: stop at once; running
   * jobs are handed back (their lock expires and BullMQ redelivers them to other workers).
   */
  close(options?: { force?: boolean }): Promise<void>;
}

let workers = 0;

/**
 * Start a worker that pulls module and command jobs from the config's queue and runs them
 * with core's "local" executor (modules on worker threads, commands as process groups).
 * It stops jobs its submitters cancel or time out (pub/sub), and its lock renewal tells
 * BullMQ it is alive: if it dies, its jobs are redelivered to other workers.
 */
export async function startWorker(input: BullmqConfigInput | BullmqConfig, options: StartWorkerOptions = {}): Promise<BullmqWorker> {
  const config = bullmqConfigSchema.parse(input);
  const settings = connectionSettings(config);
  const concurrency = Math.max(1, Math.min(options.concurrency ?? 1, options.maxJobs ?? Number.POSITIVE_INFINITY));
  const emit = (event: WorkerEvent): void => {
    try {
      options.onEvent?.(event);
    } catch {
      // A logger must not break the worker.
    }
  };
  const threads = Math.max(1, Math.min(options.threads ?? concurrency, concurrency));
  const local = await localBackend.create(parseBackendConfig(localBackend, { concurrency, maxThreads: threads }));
  const running = new Map<string, AbortController>();
  const recentlyCancelled = new Set<string>();
  const subscriber = connect(settings);
  const client = connect(settings);
  let started = 0;
  let processed = 0;
  let closing: Promise<void> | undefined;

  subscriber.on("message", (_channel: string, text: string) => {
    const message = parseCancel(text);
    if (!message) return;
    const controller = running.get(message.jobId);
    if (controller) {
      emit({ type: "job-cancelled", jobId: message.jobId, reason: message.reason });
      controller.abort(stopReason(message.reason, message.timeoutMs));
    } else rememberCancelled(recentlyCancelled, message.jobId);
  });
  for (const c of [subscriber, client]) c.on("error", (error: Error) => emit({ type: "redis-error", message: scrub(error.message, settings.secrets) }));
  await subscriber.subscribe(cancelChannel(config.prefix, config.queue));

  const processor = async (job: Job<WireJob>, token?: string): Promise<JobResult> => {
    const wire = job.data;
    if (wire?.v !== WIRE_VERSION) throw new UnrecoverableError(`job ${job.id} is not a themis job of format ${WIRE_VERSION}`);
    // BullMQ may hand over one more job while it finishes another: past maxJobs, or once
    // stopping, give it back untouched (to the waiting list, attempts unchanged).
    if (closing !== undefined || (options.maxJobs !== undefined && started >= options.maxJobs)) {
      await job.moveToWait(token);
      throw new WaitingError();
    }
    if (++started === options.maxJobs) void close();
    const controller = new AbortController();
    const id = job.id!;
    running.set(id, controller);
    const begin = performance.now();
    emit({ type: "job-started", jobId: id, kind: wire.job.kind, label: wire.label, attempt: wire.attempt });
    try {
      // A redelivered job may have been cancelled while no worker held it.
      if (recentlyCancelled.has(id) || (job.attemptsStarted > 1 && (await client.exists(cancelKey(config.prefix, config.queue, id))) === 1)) {
        controller.abort(stopReason("aborted"));
      }
      const result = await runWireJob(local, wire, controller.signal);
      emit({ type: "job-finished", jobId: id, label: wire.label, ok: result.ok, ...(result.ok ? {} : { code: result.error.code }), durationMs: Math.round(performance.now() - begin) });
      // Errors marked retryable go back to BullMQ while attempts remain (its backoff applies).
      if (!result.ok && result.error.retryable && job.attemptsMade + 1 < wire.attempts) throw new Error(result.error.message);
      return result;
    } finally {
      running.delete(id);
      processed++;
    }
  };

  const worker = new Worker<WireJob, JobResult>(config.queue, processor, {
    connection: settings.options as ConnectionOptions,
    prefix: config.prefix,
    concurrency,
    lockDuration: config.lockDurationMs,
    stalledInterval: config.stalledIntervalMs,
    maxStalledCount: config.maxStalledCount,
    autorun: false,
  });
  worker.on("error", (error: Error) => emit({ type: "redis-error", message: scrub(error.message, settings.secrets) }));

  let resolveStopped!: () => void;
  const stopped = new Promise<void>((resolve) => (resolveStopped = resolve));

  const close = (closeOptions: { force?: boolean } = {}): Promise<void> => {
    if (closeOptions.force) for (const c of running.values()) c.abort(stopReason("aborted"));
    if (closing && !closeOptions.force) return closing;
    emit({ type: "stopping", running: running.size, force: Boolean(closeOptions.force) });
    const previous = closing;
    closing = (async () => {
      await worker.close(Boolean(closeOptions.force));
      await previous;
      await local.close();
      subscriber.disconnect();
      client.disconnect();
      emit({ type: "stopped", processed });
      resolveStopped();
    })();
    return closing;
  };
  options.signal?.addEventListener("abort", () => void close(), { once: true });

  await worker.waitUntilReady();
  void worker.run().catch((error: unknown) => emit({ type: "redis-error", message: scrub(String((error as Error).message ?? error), settings.secrets) }));
  const id = `${hostname()}:${process.pid}:${++workers}`;
  emit({ type: "ready", queue: config.queue, redis: settings.address, concurrency, id });
  return { id, stopped, close };
}

function rememberCancelled(set: Set<string>, jobId: string): void {
  set.add(jobId);
  // Bounded: only jobs about to start matter; old ids are dropped first.
  if (set.size > 10_000) set.delete(set.values().next().value!);
}

export type { BullmqConfig };
