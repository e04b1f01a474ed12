/**
 * `@themis/core/backend`: what backend authors share, kept out of the user-facing entry.
 * The toolkit starts here; the contracts stay exported from `@themis/core` for now.
 */
export { IdSet, fingerprint } from "./id-set.js";
export { NETWORK_ERROR_CODES, asThemisError, backendError, failureKindOfStatus, isNetworkError, type BackendErrorOptions, type FailureKind } from "./failure.js";
