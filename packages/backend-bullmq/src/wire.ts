import { createHash, randomUUID } from "node:crypto";
import type { CommandJob, JobResult, ModuleJob } from "@themis/core";
import { PayloadTooLargeError } from "./errors.js";

/** A command job as it travels: stdin bytes become base64. */
export type WireCommandJob = Omit<CommandJob, "stdin"> & { readonly stdin?: string | { readonly base64: string } };

/** What a BullMQ job's data holds: one attempt of one module or command job. */
export interface WireJob {
  /** Format version, so a worker can refuse jobs of a format it does not know. */
  readonly v: 1;
  readonly job: ModuleJob | WireCommandJob;
  /** sha256 (hex) of the module file the submitter resolved (module jobs). */
  readonly codeHash?: string;
  readonly attempt: number;
  readonly index: number;
  /** "item 3" or "item 3 (row r-17)": how messages name the row. */
  readonly label: string;
  /** Backstop timeout the worker enforces (the config's `timeout`). */
  readonly timeoutMs?: number;
  /** Largest result value the worker sends back. */
  readonly maxPayloadBytes: number;
  /** BullMQ attempts of this job (the worker retries retryable errors while below it). */
  readonly attempts: number;
}

/** What the worker's processor returns: the attempt's result (BullMQ stores it as JSON). */
export type WireResult = JobResult;

export const WIRE_VERSION = 1;

/** How messages name the item: its index, and its `_row_id` when its input has one. */
export function itemLabel(index: number, input: unknown): string {
  const rowId = typeof input === "object" && input !== null ? (input as { _row_id?: unknown })._row_id : undefined;
  return typeof rowId === "string" || typeof rowId === "number" ? `item ${index} (row ${rowId})` : `item ${index}`;
}

/** The command job with its stdin made JSON-safe. */
export function toWireCommand(job: CommandJob): WireCommandJob {
  const { stdin, ...rest } = job;
  if (stdin === undefined || typeof stdin === "string") return job as WireCommandJob;
  return { ...rest, stdin: { base64: Buffer.from(stdin).toString("base64") } };
}

/** The command job a worker runs, stdin decoded. */
export function fromWireCommand(job: WireCommandJob): CommandJob {
  const { stdin, ...rest } = job;
  if (stdin === undefined || typeof stdin === "string") return job as CommandJob;
  return { ...rest, stdin: Buffer.from(stdin.base64, "base64") };
}

/** Serialized size of `value` in bytes (UTF-8 JSON). */
export function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value) ?? "null");
}

const KIB = 1024;
function size(bytes: number): string {
  return bytes >= KIB ? `${(bytes / KIB).toFixed(1)} KiB` : `${bytes} bytes`;
}

/** Throws a {@link PayloadTooLargeError} naming the item when `bytes` is over `limit`. */
export function assertPayloadSize(what: "input" | "output", label: string, bytes: number, limit: number): void {
  if (bytes <= limit) return;
  throw new PayloadTooLargeError(
    `the ${what} of ${label} is ${size(bytes)} serialized, above the limit of ${size(limit)} (maxPayloadBytes): ` +
      (what === "input" ? "pass a reference (a path, a URL, a row id) instead of the data" : "store large results elsewhere and return a reference"),
  );
}

/** The `_row_id` of a module job's input, when it has one (runExperiment's rows do). */
function rowIdOf(wire: WireJob): string | undefined {
  const input = wire.job.kind === "module" ? wire.job.input : undefined;
  const rowId = typeof input === "object" && input !== null && !Array.isArray(input) ? (input as { _row_id?: unknown })._row_id : undefined;
  return typeof rowId === "string" || typeof rowId === "number" ? String(rowId) : undefined;
}

const sha256 = (text: string): string => createHash("sha256").update(text).digest("hex");

/**
 * The BullMQ job id of one attempt. With a `runKey` it is deterministic: the key, the
 * item (its `_row_id` when the input has one, so a resumed run whose rows shift position
 * still finds them; else its index), the attempt and a hash of the job's content. A
 * restarted submitter thus adds the same ids and BullMQ hands back the jobs already queued
 * or finished instead of duplicating them. Without a key, a random UUID. BullMQ ids may
 * not contain ":".
 */
export function jobIdFor(runKey: string | undefined, wire: WireJob): string {
  if (runKey === undefined) return randomUUID();
  const content = sha256(JSON.stringify(wire.job) + (wire.codeHash ?? "")).slice(0, 16);
  const rowId = rowIdOf(wire);
  const item = rowId === undefined ? String(wire.index) : /^[A-Za-z0-9_-]{1,64}$/.test(rowId) ? `row-${rowId}` : `row-${sha256(rowId).slice(0, 16)}`;
  return `${runKey}.${item}.${wire.attempt}.${content}`;
}
