import { z } from "zod";

/** 512 KiB: the default cap on a job's serialized input and on its result's value. */
export const DEFAULT_MAX_PAYLOAD_BYTES = 512 * 1024;

// BullMQ writes its keys as "<prefix>:<queue>:...": keep both free of braces and spaces.
const NAME = /^[A-Za-z0-9_.\-/]{1,100}$/;
const NAME_MESSAGE = "use 1-100 letters, digits, '_', '.', '-' or '/'";

const retention = z
  .strictObject({
    age: z.int().positive().optional().describe("Seconds a finished job is kept."),
    count: z.int().nonnegative().optional().describe("Finished jobs kept at most (the newest)."),
  })
  .describe("How long finished jobs (and their results) stay in Redis.");

/**
 * Config of the "bullmq" executor: where Redis is, which queue, and the limits of each job.
 * Submitters (`map`, `runExperiment`) and workers (`themis worker`) read the same config;
 * the password is marked secret and never printed.
 */
export const bullmqConfigSchema = z
  .strictObject({
    url: z
      .string()
      .optional()
      .meta({ secret: true })
      .describe(
        'Redis URI: "redis://[user:password@]host[:port][/db]" or "rediss://..." (TLS). Default: $REDIS_URL, else redis://127.0.0.1:6379. Use ${env:NAME} in config files.',
      ),
    host: z.string().min(1).optional().describe("Redis host (instead of url)."),
    port: z.int().min(1).max(65535).optional().describe("Redis port (instead of url)."),
    db: z.int().min(0).optional().describe("Redis database number."),
    username: z.string().min(1).optional().describe("ACL user name (Redis 6+)."),
    password: z.string().min(1).optional().meta({ secret: true }).describe("Redis password (AUTH). Use ${env:NAME} in config files."),
    tls: z.boolean().optional().describe("Connect with TLS (rediss:// sets it)."),
    queue: z.string().regex(NAME, NAME_MESSAGE).default("themis").describe("Queue name: submitters and workers of one pool use the same."),
    prefix: z.string().regex(NAME, NAME_MESSAGE).default("bull").describe('Key prefix of the queue in Redis ("<prefix>:<queue>:...").'),
    concurrency: z.int().positive().default(16).describe("Jobs in flight per map/runExperiment when they do not say (each is one BullMQ job in Redis)."),
    timeout: z
      .int()
      .positive()
      .optional()
      .describe("Default per-job timeout in ms, enforced by the worker (a backstop for jobs whose submitter went away). map's `timeout` stops jobs sooner."),
    attempts: z
      .int()
      .min(1)
      .max(100)
      .default(1)
      .describe("BullMQ attempts per job: above 1, a worker retries errors marked retryable itself (with `backoff`) before the submitter sees them."),
    backoff: z
      .strictObject({
        type: z.enum(["fixed", "exponential"]).default("exponential"),
        delay: z.int().nonnegative().default(1000).describe("Milliseconds (the first delay for exponential)."),
      })
      .default({ type: "exponential", delay: 1000 })
      .describe("Delay between BullMQ attempts."),
    removeOnComplete: retention
      .default({ age: 86_400, count: 10_000 })
      .describe("Retention of completed jobs: a restarted submitter reattaches to results still kept."),
    removeOnFail: retention.default({ age: 7 * 86_400 }).describe("Retention of failed jobs (worker crashes past maxStalledCount, refused jobs)."),
    maxPayloadBytes: z
      .int()
      .positive()
      .default(DEFAULT_MAX_PAYLOAD_BYTES)
      .describe("Largest serialized job input, and largest result value, in bytes (default 512 KiB). Larger ones fail with ERR_THEMIS_TOO_LARGE."),
    runKey: z
      .string()
      .regex(/^[A-Za-z0-9_.-]{1,200}$/, "use 1-200 letters, digits, '_', '.' or '-'")
      .optional()
      .describe(
        "Makes job ids deterministic (key + item index + attempt + content): a restarted submitter with the same key reattaches to jobs already queued or done.",
      ),
    lockDurationMs: z
      .int()
      .positive()
      .default(30_000)
      .describe("Workers: how long a job's lock lives without renewal; a crashed worker's jobs are redelivered after it."),
    stalledIntervalMs: z.int().positive().default(30_000).describe("Workers: how often they look for stalled jobs (of crashed workers)."),
    maxStalledCount: z.int().min(0).default(1).describe("Workers: redeliveries of a stalled job before it fails."),
    pollIntervalMs: z
      .int()
      .positive()
      .default(5000)
      .describe("Submitter: how often it checks the jobs it waits for directly in Redis (events missed during a reconnect, jobs lost by a Redis restart)."),
    unavailableTimeoutMs: z
      .int()
      .positive()
      .default(60_000)
      .describe("Submitter: a job whose Redis stays unreachable this long fails with ERR_THEMIS_UNAVAILABLE (retryable)."),
    cancelGraceMs: z.int().positive().default(10_000).describe("Submitter: how long a cancelled or timed-out job waits for its worker to confirm it stopped."),
  })
  .superRefine((config, ctx) => {
    if (config.url === undefined) return;
    let scheme: string;
    try {
      scheme = new URL(config.url).protocol;
    } catch {
      // The URI itself is not echoed: it may hold a password.
      ctx.addIssue({ code: "custom", path: ["url"], message: "not a valid URI" });
      return;
    }
    if (scheme !== "redis:" && scheme !== "rediss:") ctx.addIssue({ code: "custom", path: ["url"], message: `scheme "${scheme}" is not redis: or rediss:` });
  });

/** What a user writes (defaults optional). */
export type BullmqConfigInput = z.input<typeof bullmqConfigSchema>;
/** The validated config, defaults applied. */
export type BullmqConfig = z.output<typeof bullmqConfigSchema>;

/** A retention setting in BullMQ's terms (`false`: keep every finished job). */
export function keepJobs(retention: { age?: number | undefined; count?: number | undefined }): { age: number; count?: number } | { count: number } | false {
  if (retention.age !== undefined) return { age: retention.age, ...(retention.count !== undefined ? { count: retention.count } : {}) };
  if (retention.count !== undefined) return { count: retention.count };
  return false;
}
