/**
 * `@themis/core/backend`: what backend authors share, kept out of the user-facing entry.
 * The toolkit starts here; the contracts stay exported from `@themis/core` for now.
 */
export { IdSet, fingerprint } from "./id-set.js";
export { NETWORK_ERROR_CODES, asThemisError, backendError, failureKindOfStatus, isNetworkError, type BackendErrorOptions, type FailureKind } from "./failure.js";
export { ClosedGuard } from "./closed-guard.js";
export { GroupCommitQueue, type GroupCommitOptions, type GroupOutcome } from "./group-commit.js";
export { isRetryable, retryTransient, type RetryTransientOptions } from "./retry.js";
export { planChanges, type ChangePlan, type PlanOptions, type RowChange, type StoredIds } from "./change-planner.js";
export { importModuleExport, resolveModuleJob, type ResolvedModuleJob } from "./module-job.js";
