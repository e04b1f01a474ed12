/**
 * `@themis/core/backend`: everything a backend author needs, kept out of the user-facing
 * entry. The contracts, the definition helpers, the errors to throw, and the toolkit: what
 * backends would otherwise each write on their own (closed guard, group commit, change
 * planner, retry loop, failure mapping, module-job resolution, id fingerprints).
 *
 * The same contract and definition names are still exported from `@themis/core` (deprecated
 * there: import them from here).
 */

// Contracts: what a storage backend implements (Impl: with the optional methods left out).
export type {
  OpenMode,
  ProjectStore,
  ProjectStoreImpl,
  StorageBackend,
  StorageBackendImpl,
  StorageCapabilities,
  TableKind,
  TableStore,
  TableStoreImpl,
} from "../storage/contract.js";
export { completeStorageBackend, completeTableStore } from "../storage/complete.js";

// Contracts: what an execution backend implements.
export {
  JOB_KINDS,
  type CapturedOutput,
  type CommandJob,
  type ExecutionBackend,
  type ExecutorDescription,
  type FunctionJob,
  type Job,
  type JobContext,
  type JobError,
  type JobFailure,
  type JobKind,
  type JobOutcome,
  type JobResult,
  type JobResultDetails,
  type JobSuccess,
  type MapOutcome,
  type ModuleJob,
  type RunContext,
  type TaskFunction,
} from "../execution/contract.js";
export { AbortedError, JobFailedError, RemoteJobError, TimeoutError, toJobError } from "../execution/errors.js";
export { DEFAULT_MAX_OUTPUT_BYTES, OutputCapture } from "../execution/output.js";
export { commandJobResult, type CommandResultOptions, type FinishedCommand } from "../execution/command-result.js";
export { moduleCodeHash, resolveModuleFile } from "../execution/module-source.js";

// Definitions.
export {
  BACKEND_BRAND,
  CONTRACT_VERSION,
  SUPPORTED_CONTRACT_VERSIONS,
  defineExecutionBackend,
  defineStorageBackend,
  isBackendDefinition,
  type BackendDefinition,
  type BackendInstances,
  type BackendKind,
  type BackendWorker,
  type ExecutionBackendDefinition,
  type StorageBackendDefinition,
  type StorageDefinitionInput,
  type WorkerStartOptions,
} from "../definition.js";

// Errors to throw, rows, deadlines, URI text.
export * from "../errors.js";
export { ROW_ID, type JsonValue, type Row, type SerializedRow, type StoredRow } from "../rows.js";
export { DeadlineError, MAX_TIMEOUT_MS, assertTimeoutMs, timeoutMsSchema, withDeadline } from "../deadline.js";
export { decodeUriField, redactUrls } from "../uri-text.js";
export { backoffDelay, type BackoffPolicy } from "../execution/retry.js";

// The toolkit.
// Appending rows a package built itself, without a copy (see its TSDoc).
export { appendOwned } from "../storage/table.js";
export { IdSet, fingerprint } from "./id-set.js";
export {
  NETWORK_ERROR_CODES,
  asThemisError,
  backendError,
  failureKindOfStatus,
  isNetworkError,
  type BackendErrorOptions,
  type FailureKind,
} from "./failure.js";
export { errnoOf, failureKindOfErrno, fileSystemError, type FileSystemErrorOptions } from "./fs-failure.js";
export { ClosedGuard } from "./closed-guard.js";
export { durationSchema, parseDuration } from "./duration.js";
export { GroupCommitQueue, type GroupCommitOptions, type GroupOutcome } from "./group-commit.js";
export { isRetryable, retryTransient, type RetryTransientOptions } from "./retry.js";
export { planChanges, type ChangePlan, type PlanOptions, type RowChange, type StoredIds } from "./change-planner.js";
export { importModuleExport, resolveModuleJob, type ResolvedModuleJob } from "./module-job.js";
export {
  MODULE_RUNNER_FILES,
  moduleRunnerJob,
  moduleRunnerSource,
  parseModuleRunnerResult,
  type ModuleRunnerJob,
  type ModuleRunnerOptions,
} from "./module-runner.js";
// Test helpers: deterministic randomness for suites that must rerun a failing seed (conformance).
export { seededRandom } from "../experiment/stats.js";
// Whether a process recorded by another one (a lock holder, a runner) still runs.
export { currentProcess, processRunning, processStart, type ProcessIdentity } from "./process-identity.js";
