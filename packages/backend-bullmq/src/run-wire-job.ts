import { AbortedError, JobFailedError, TimeoutError, toJobError, type ExecutionBackend, type JobResult, moduleCodeHash } from "@themis/core";
import { CodeMismatchError, BACKEND_NAME } from "./errors.js";
import { type WireJob, assertPayloadSize, fromWireCommand, jsonBytes } from "./wire.js";

/** Why the worker stops a running job: the submitter's timeout or cancellation, or its own backstop timeout. */
export function stopReason(reason: "timeout" | "aborted", timeoutMs = 0): Error {
  return reason === "timeout"
    ? new TimeoutError(timeoutMs, { backend: BACKEND_NAME })
    : new AbortedError("job was cancelled by its submitter", { backend: BACKEND_NAME });
}

/** Refuse a module job whose code on this machine differs from the submitter's. */
function checkCode(wire: WireJob): JobResult | undefined {
  if (wire.job.kind !== "module") return undefined;
  let here: string;
  try {
    here = moduleCodeHash(wire.job.module, wire.job.resolveFrom);
  } catch (error) {
    const e = new JobFailedError(`module "${wire.job.module}" of ${wire.label} cannot be read on this worker: ${(error as Error).message}`, {
      backend: BACKEND_NAME,
      cause: error,
    });
    return { ok: false, error: toJobError(e) };
  }
  if (here === wire.codeHash) return undefined;
  const e = new CodeMismatchError(
    `module "${wire.job.module}" of ${wire.label} differs on this worker (sha256 ${here.slice(0, 12)}...) from the submitter's (${String(wire.codeHash).slice(0, 12)}...): ` +
      "deploy the same code to the workers (or restart them after a change); the job was not run",
  );
  return { ok: false, error: toJobError(e) };
}

/**
 * Run one queued attempt on this machine with the local executor: check the module's
 * code hash, stop the job when `signal` aborts (cancel message) or the backstop timeout
 * fires, and refuse a result value larger than the submitter's limit.
 */
export async function runWireJob(local: ExecutionBackend, wire: WireJob, signal: AbortSignal): Promise<JobResult> {
  const refused = checkCode(wire);
  if (refused) return refused;
  const controller = new AbortController();
  const onAbort = (): void => controller.abort(signal.reason);
  if (signal.aborted) onAbort();
  else signal.addEventListener("abort", onAbort, { once: true });
  const timer = wire.timeoutMs === undefined ? undefined : setTimeout(() => controller.abort(stopReason("timeout", wire.timeoutMs)), wire.timeoutMs);
  try {
    const job = wire.job.kind === "module" ? wire.job : { ...fromWireCommand(wire.job), kind: "command" as const };
    let result: JobResult;
    try {
      result = await local.run(job, { signal: controller.signal, attempt: wire.attempt, index: wire.index });
    } catch (error) {
      result = { ok: false, error: toJobError(error) };
    }
    if (controller.signal.aborted && !result.ok) result = { ...result, error: toJobError(controller.signal.reason) };
    if (result.ok) {
      try {
        assertPayloadSize("output", wire.label, jsonBytes(result.value), wire.maxPayloadBytes);
      } catch (error) {
        const { value: _dropped, ...details } = result;
        result = { ...details, ok: false, error: toJobError(error) };
      }
    }
    return result;
  } finally {
    clearTimeout(timer);
    signal.removeEventListener("abort", onAbort);
  }
}
