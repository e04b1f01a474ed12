import { ThemisError, type ThemisErrorOptions } from "@themis/core";

/** The registry name of this backend, the prefix of its messages. */
export const BACKEND_NAME = "bullmq";

/**
 * A job's input or its result's value is larger than `maxPayloadBytes` once serialized.
 * Code `ERR_THEMIS_PAYLOAD_TOO_LARGE`; never retryable (the same item is as large again).
 */
export class PayloadTooLargeError extends ThemisError {
  constructor(message: string, options?: ThemisErrorOptions) {
    super("ERR_THEMIS_PAYLOAD_TOO_LARGE", message, { backend: BACKEND_NAME, ...options, retryable: false });
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
