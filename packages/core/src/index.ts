export * from "./errors.js";
export { validateName, isInternalTableName, type NameKind } from "./names.js";
export { ROW_ID, newRowId, toJsonRow, validateRowId, type JsonValue, type Row, type SerializedRow, type StoredRow } from "./rows.js";
// Backend authors: import contracts, definitions and the toolkit from "@themis/core/backend";
// config files and backend configs are also at "@themis/core/config". The names below stay
// here for compatibility (deprecated for authors: see the README's "Entry points").
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
} from "./storage/contract.js";
export { Table, type Dataset, type Experiment, type TableOptions } from "./storage/table.js";
export { memoryBackend, memoryConfigSchema } from "./storage/memory.js";
export { Project, type ProjectOptions, type StorageSpec } from "./project.js";
export type { BackendConfigs, ConfigFor } from "./backend-configs.js";
export {
  BACKEND_BRAND,
  CONTRACT_VERSION,
  SUPPORTED_CONTRACT_VERSIONS,
  BACKEND_KINDS,
  defineExecutionBackend,
  definePostprocessor,
  defineStorageBackend,
  isBackendDefinition,
  type BackendDefinition,
  type BackendInstances,
  type BackendWorker,
  type WorkerStartOptions,
  type BackendKind,
  type BackendSectionKind,
  type ExecutionBackendDefinition,
  type PostprocessorDefinition,
  type StorageBackendDefinition,
  type StorageDefinitionInput,
} from "./definition.js";
export type { PostprocessInput, PostprocessReport, Postprocessor } from "./postprocess/contract.js";
export { createPostprocessor, runPostprocess, type PostprocessSpec, type RunPostprocessOptions } from "./postprocess/run-postprocess.js";
export { REDACTED, configJsonSchema, didYouMean, issuesFromZod, parseBackendConfig, redactConfig, secretPaths } from "./backend-config.js";
export { DEFAULT_LOAD_TIMEOUT_MS, Registry, defaultRegistry, isUri, type BackendInfo, type BackendSource, type RegistryOptions } from "./registry/registry.js";
export type { Diagnostic, DiagnosticPhase } from "./registry/diagnostic.js";
export { BUILTIN_BACKENDS } from "./builtins.js";
export { DeadlineError, MAX_TIMEOUT_MS, assertTimeoutMs, timeoutMsSchema, withDeadline } from "./deadline.js";
export { decodeUriField, redactUrls } from "./uri-text.js";
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
} from "./execution/contract.js";
export { AbortedError, JobFailedError, RemoteJobError, TimeoutError, toJobError } from "./execution/errors.js";
export { DEFAULT_MAX_OUTPUT_BYTES, OutputCapture } from "./execution/output.js";
export { commandJobResult, type CommandResultOptions, type FinishedCommand } from "./execution/command-result.js";
export * from "./config-file/index.js";
export { map, mapValues, type MapOptions, type MapProgress } from "./execution/map.js";
export { backoffDelay, type BackoffPolicy, type RetryOptions } from "./execution/retry.js";
export type { CommandTask, FunctionTask, ModuleTask, Task } from "./execution/task.js";
export type { ExecutionSpec } from "./execution/executor.js";
export {
  localBackend,
  localConfigSchema,
  sequentialBackend,
  sequentialConfigSchema,
  type LocalConfig,
  type SequentialConfig,
} from "./execution/local/definitions.js";
export { runExperiment, type ExperimentProgress, type ExperimentRunSummary, type RunEvent, type RunExperimentOptions } from "./experiment/run-experiment.js";
export type { ResultRow } from "./experiment/result-row.js";
export {
  DEFAULT_HEARTBEAT_MS,
  STALE_AFTER_BEATS,
  getRun,
  listRuns,
  runState,
  runnerGone,
  runnerProcess,
  type RunCounts,
  type RunLiveness,
  type RunRecord,
  type RunnerProcess,
  type RunState,
  type RunStatus,
} from "./experiment/run-record.js";
export { CLOCK_SKEW_TOLERANCE_MS, HeartbeatWatch, type HeartbeatWatchOptions, type WatchedRecord } from "./experiment/heartbeat-watch.js";
export { CANCELS_TABLE, requestCancel, type CancelRequest } from "./experiment/cancel.js";
export { claimsTable, resultRowId } from "./experiment/claims.js";
export { compareRuns, runResults, type CompareOptions, type ComparedRun, type MetricComparison, type RunComparison } from "./experiment/compare.js";
export { deleteRun, topErrors } from "./experiment/run-admin.js";
export { splitScores, type MetricSummary, type Scores } from "./experiment/metrics.js";
export { moduleCodeHash, resolveModuleFile } from "./execution/module-source.js";
export { canonicalJson } from "./experiment/resume-key.js";
export type { Provenance } from "./experiment/provenance.js";
