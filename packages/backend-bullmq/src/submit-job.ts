import { JobFailedError, type CommandJob, type ModuleJob, type RunContext, moduleCodeHash } from "@themis/core";
import type { BullmqConfig } from "./config.js";
import { BACKEND_NAME } from "./errors.js";
import { type WireJob, WIRE_VERSION, assertPayloadSize, itemLabel, jsonBytes, toWireCommand } from "./wire.js";

function codeHashOf(job: ModuleJob, label: string): string {
  try {
    return moduleCodeHash(job.module, job.resolveFrom);
  } catch (error) {
    throw new JobFailedError(`module "${job.module}" of ${label} cannot be read on the submitter: ${(error as Error).message}`, {
      backend: BACKEND_NAME,
      cause: error,
    });
  }
}

/**
 * One attempt of a module or command job as the queue carries it. Module jobs get the
 * sha256 of the module file the submitter resolved; a job whose serialized form is
 * larger than `maxPayloadBytes` throws a PayloadTooLargeError naming the item.
 */
export function buildWireJob(job: ModuleJob | CommandJob, context: RunContext, config: BullmqConfig): WireJob {
  const label = itemLabel(context.index, job.kind === "module" ? job.input : undefined);
  const base = {
    v: WIRE_VERSION,
    attempt: context.attempt,
    index: context.index,
    label,
    maxPayloadBytes: config.maxPayloadBytes,
    attempts: config.attempts,
    ...(config.timeout !== undefined ? { timeoutMs: config.timeout } : {}),
  } as const;
  const wire: WireJob =
    job.kind === "module" ? { ...base, job: stripUndefined(job), codeHash: codeHashOf(job, label) } : { ...base, job: toWireCommand(stripUndefined(job)) };
  assertPayloadSize("input", label, jsonBytes(wire.job), config.maxPayloadBytes);
  return wire;
}

/** The job without undefined fields (they do not survive JSON, and must not change the id). */
function stripUndefined<T extends object>(job: T): T {
  return Object.fromEntries(Object.entries(job).filter(([, v]) => v !== undefined)) as T;
}
