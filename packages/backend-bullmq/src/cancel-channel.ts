import type { Redis } from "ioredis";

/** Why a submitter stops a job: map's per-job timeout, or cancellation. */
export interface CancelMessage {
  readonly jobId: string;
  readonly reason: "timeout" | "aborted";
  /** The timeout that fired (reason "timeout"). */
  readonly timeoutMs?: number;
}

/** The pub/sub channel on which submitters tell every worker of a queue to stop a job. */
export function cancelChannel(prefix: string, queue: string): string {
  return `${prefix}:${queue}:themis:cancel`;
}

/**
 * The key that marks a job cancelled, for a worker that missed the message: one that
 * picks the job up later (a redelivery after a crash) checks it before running.
 */
export function cancelKey(prefix: string, queue: string, jobId: string): string {
  return `${prefix}:${queue}:themis:cancelled:${jobId}`;
}

/** Mark the job cancelled (kept a day) and tell the workers, in one round trip. */
export async function publishCancel(client: Redis, prefix: string, queue: string, message: CancelMessage): Promise<void> {
  await client
    .multi()
    .set(cancelKey(prefix, queue, message.jobId), JSON.stringify(message), "EX", 86_400)
    .publish(cancelChannel(prefix, queue), JSON.stringify(message))
    .exec();
}

/** A cancel message from the channel, or undefined when it is not one. */
export function parseCancel(text: string): CancelMessage | undefined {
  try {
    const m = JSON.parse(text) as Partial<CancelMessage>;
    if (typeof m.jobId === "string" && (m.reason === "timeout" || m.reason === "aborted")) return m as CancelMessage;
  } catch {
    // Not ours: ignore.
  }
  return undefined;
}
