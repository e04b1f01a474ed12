import { ThemisError, TooLargeError, type ThemisErrorOptions } from "@themis/core";

/** The registry name of this backend, the prefix of its messages. */
export const BACKEND_NAME = "bullmq";

/**
 * A job's input or its result's value is larger than `maxPayloadBytes` once serialized.
 * Core's TooLargeError, code `ERR_THEMIS_TOO_LARGE` (one code for "over a configured
 * size"); never retryable (the same item is as large again).
 */
export class PayloadTooLargeError extends TooLargeError {
  constructor(message: string, options?: ThemisErrorOptions) {
    super(message, { backend: BACKEND_NAME, ...options, retryable: false });
  }
}

/**
 * A worker's copy of a module job's code differs from the submitter's (their sha256 do not
 * match), so the worker refused to run it. Code `ERR_THEMIS_CODE_MISMATCH`.
 */
export class CodeMismatchError extends ThemisError {
  constructor(message: string, options?: ThemisErrorOptions) {
    super("ERR_THEMIS_CODE_MISMATCH", message, { backend: BACKEND_NAME, ...options, retryable: false });
  }
}
