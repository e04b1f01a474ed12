import type { JsonValue, PostprocessReport } from "@themis/core";
import { AbortedError } from "@themis/core";

/** A report, with the postprocessor's name filled in. */
export function report(postprocessor: string, fields: { message: string; rows: number; artifacts?: string[]; data: JsonValue }): PostprocessReport {
  return { postprocessor, message: fields.message, rows: fields.rows, artifacts: fields.artifacts ?? [], data: fields.data };
}

/** Throw core's AbortedError (code ERR_THEMIS_ABORTED) when the caller gave up. */
export function throwIfAborted(signal: AbortSignal, backend: string): void {
  if (signal.aborted) throw new AbortedError(`postprocess "${backend}" was cancelled`, { backend, cause: signal.reason });
}
