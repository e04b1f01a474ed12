import { setTimeout as delay } from "node:timers/promises";
import {
  AbortedError,
  ClosedError,
  JobFailedError,
  UnavailableError,
  UnsupportedError,
  toJobError,
  type ExecutionBackend,
  type Job,
  type JobKind,
  type JobResult,
  type RunContext,
} from "@themis/core";
import { ClosedGuard } from "@themis/core/backend";
import { type ConnectionOptions, Queue, QueueEvents } from "bullmq";
import type { Redis } from "ioredis";
import { AddBatcher } from "./add-batcher.js";
import { publishCancel } from "./cancel-channel.js";
import { type BullmqConfig, keepJobs } from "./config.js";
import { type ConnectionSettings, connect, connectionSettings } from "./connection.js";
import { scrubText as scrub } from "./scrub.js";
import { BACKEND_NAME } from "./errors.js";
import { JobWatcher } from "./job-watcher.js";
import { buildWireJob } from "./submit-job.js";
import { type WireJob, type WireResult, jobIdFor } from "./wire.js";

/** How long close() waits for Redis before it drops the connections. */
const CLOSE_GRACE_MS = 2000;

const FUNCTION_REFUSED =
  "function jobs cannot run on bullmq: an in-process function cannot cross to a worker on another machine. " +
  'Use a module task ({ kind: "module", module: "./task.js", export: "score" }) or a command task, or run functions on the "local" executor';

/**
 * The "bullmq" executor, submitter side: each `run` adds one BullMQ job (a module or
 * command job, JSON) to the queue and resolves with the result a `themis worker` sends
 * back. `map` bounds the jobs in flight (its `concurrency`), times them out and cancels
 * them; cancelling or timing out a running job reaches its worker through Redis pub/sub.
 */
export class BullmqExecutor implements ExecutionBackend {
  readonly name = BACKEND_NAME;
  readonly kinds: readonly JobKind[] = ["module", "command"];
  readonly concurrency: number;
  readonly config: BullmqConfig;
  readonly #connection: ConnectionSettings;
  readonly #queue: Queue;
  readonly #events: QueueEvents;
  readonly #client: Redis;
  readonly #watcher: JobWatcher;
  readonly #batcher: AddBatcher;
  readonly #guard = new ClosedGuard(BACKEND_NAME, `executor "${BACKEND_NAME}"`);

  private constructor(config: BullmqConfig, connection: ConnectionSettings, queue: Queue, events: QueueEvents, client: Redis) {
    this.config = config;
    this.concurrency = config.concurrency;
    this.#connection = connection;
    this.#queue = queue;
    this.#events = events;
    this.#client = client;
    this.#batcher = new AddBatcher(queue);
    this.#watcher = new JobWatcher(queue, events, {
      pollIntervalMs: config.pollIntervalMs,
      unavailableTimeoutMs: config.unavailableTimeoutMs,
      scrub: (text) => scrub(text, connection.secrets),
    });
  }

  /** Connect to Redis and start listening for results. Fails with ERR_THEMIS_UNAVAILABLE when Redis cannot be reached. */
  static async create(config: BullmqConfig): Promise<BullmqExecutor> {
    const connection = connectionSettings(config);
    // Commands of the submitter fail (and are retried by us) during an outage instead of
    // queueing forever, so an outage becomes an error within unavailableTimeoutMs.
    const client = connect(connection, { maxRetriesPerRequest: 3 });
    const queue = new Queue(config.queue, { connection: client, prefix: config.prefix });
    const events = new QueueEvents(config.queue, { connection: connection.options as ConnectionOptions, prefix: config.prefix });
    // Connection errors surface as failed commands (retried, then ERR_THEMIS_UNAVAILABLE).
    client.on("error", () => undefined);
    queue.on("error", () => undefined);
    events.on("error", () => undefined);
    try {
      await Promise.all([queue.waitUntilReady(), events.waitUntilReady()]);
    } catch (error) {
      await Promise.allSettled([events.close(), queue.close()]);
      client.disconnect();
      throw new UnavailableError(`cannot reach Redis at ${connection.address}: ${scrub(String((error as Error).message ?? error), connection.secrets)}`, {
        backend: BACKEND_NAME,
      });
    }
    return new BullmqExecutor(config, connection, queue, events, client);
  }

  /** The Redis server, without credentials (for logs). */
  get address(): string {
    return this.#connection.address;
  }

  /** How many jobs of the queue are in each state (all submitters' jobs, not only this one's). */
  async queueCounts(): Promise<Record<"waiting" | "active" | "completed" | "failed" | "delayed", number>> {
    const counts = await this.#queue.getJobCounts("waiting", "active", "completed", "failed", "delayed");
    return counts as Record<"waiting" | "active" | "completed" | "failed" | "delayed", number>;
  }

  async run<T = unknown>(job: Job, context: RunContext): Promise<JobResult<T>> {
    this.#guard.assertOpen();
    if (job.kind === "function") throw new UnsupportedError(FUNCTION_REFUSED, { backend: this.name });
    if (job.kind !== "module" && job.kind !== "command") {
      throw new UnsupportedError(`unknown job kind ${JSON.stringify((job as { kind?: unknown }).kind)}`, { backend: this.name });
    }
    let wire: WireJob;
    try {
      wire = buildWireJob(job, context, this.config);
    } catch (error) {
      return { ok: false, error: toJobError(error) };
    }
    if (context.signal.aborted) return { ok: false, error: toJobError(context.signal.reason) };
    // runExperiment's key (stable per experiment and resume key) wins over the configured one.
    const runKey = context.runKey ?? this.config.runKey;
    const jobId = jobIdFor(runKey, wire);
    const add = (): Promise<unknown> => this.#add(jobId, wire);
    const result = this.#watcher.wait(jobId, add);
    const onAbort = (): void => void this.#cancel(jobId, context.signal.reason);
    context.signal.addEventListener("abort", onAbort, { once: true });
    try {
      await add();
      // A reused id may name a job that finished before we listened: look once.
      if (runKey !== undefined) await this.#watcher.check(jobId);
    } catch (error) {
      this.#watcher.settle(jobId, { ok: false, error: toJobError(error) });
    }
    try {
      return (await result) as JobResult<T>;
    } finally {
      context.signal.removeEventListener("abort", onAbort);
    }
  }

  /** Add the job, retrying while Redis is unreachable (up to unavailableTimeoutMs). */
  async #add(jobId: string, wire: WireJob): Promise<void> {
    const deadline = Date.now() + this.config.unavailableTimeoutMs;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.#batcher.add(wire.job.kind, wire, {
          jobId,
          attempts: this.config.attempts,
          backoff: this.config.backoff,
          removeOnComplete: keepJobs(this.config.removeOnComplete),
          removeOnFail: keepJobs(this.config.removeOnFail),
        });
        return;
      } catch (error) {
        if (this.#guard.closed || Date.now() >= deadline) {
          const message = scrub((error as Error).message ?? String(error), this.#connection.secrets);
          throw new UnavailableError(`could not queue ${wire.label} on ${this.#connection.address}: ${message}`, { backend: this.name });
        }
        await delay(Math.min(1000, 50 * 2 ** attempt));
      }
    }
  }

  /**
   * Stop a job: a waiting one is removed from the queue; a running one is stopped by its
   * worker (pub/sub), which sends back what it has (stdout so far). Waits for that reply
   * at most cancelGraceMs: a worker that died cannot answer.
   */
  async #cancel(jobId: string, reason: unknown): Promise<void> {
    const timeout = (reason as { code?: string } | undefined)?.code === "ERR_THEMIS_TIMEOUT";
    const stopped: WireResult = { ok: false, error: toJobError(reason ?? new AbortedError("job was cancelled", { backend: this.name })) };
    try {
      if ((await this.#queue.remove(jobId)) === 1) {
        this.#watcher.settle(jobId, stopped);
        return;
      }
      await publishCancel(this.#client, this.config.prefix, this.config.queue, {
        jobId,
        reason: timeout ? "timeout" : "aborted",
        ...(timeout ? { timeoutMs: (reason as { timeoutMs?: number }).timeoutMs ?? 0 } : {}),
      });
    } catch {
      // Redis is away: the job cannot be reached; the grace period below ends the wait.
    }
    await delay(this.config.cancelGraceMs, undefined, { ref: false });
    this.#watcher.settle(jobId, stopped);
  }

  /**
   * Close stops what still runs (the execution contract): waiting jobs leave the queue and
   * running ones are stopped on their workers. A submitter that crashes never gets here, so
   * its jobs stay queued for a restarted submitter to reattach to (see runKey).
   */
  close(): Promise<void> {
    return this.#guard.close(() => this.#stopAll());
  }

  async #stopAll(): Promise<void> {
    const closing = new ClosedError(`executor "${this.name}" was closed while the job ran`, { backend: this.name });
    const stopping = Promise.allSettled(this.#watcher.pendingIds().map((jobId) => this.#cancel(jobId, closing)));
    await Promise.race([stopping, delay(this.config.cancelGraceMs + CLOSE_GRACE_MS, undefined, { ref: false })]);
    this.#watcher.failAll(new JobFailedError("the executor was closed", { backend: this.name }));
    this.#watcher.close();
    // Closing waits for Redis; when it is away, give up after a moment and drop the sockets.
    const closed = Promise.allSettled([this.#events.close(), this.#queue.close()]);
    await Promise.race([closed, delay(CLOSE_GRACE_MS, undefined, { ref: false })]);
    this.#client.disconnect();
    await Promise.race([this.#events.disconnect(), delay(CLOSE_GRACE_MS, undefined, { ref: false })]).catch(() => undefined);
  }
}
