export * from "./errors.js";
export { validateName, isInternalTableName, type NameKind } from "./names.js";
export { ROW_ID, newRowId, toJsonRow, validateRowId, type JsonValue, type Row, type StoredRow } from "./rows.js";
export type { OpenMode, ProjectStore, StorageBackend, TableKind, TableStore } from "./storage/contract.js";
export { Table, type Dataset, type Experiment, type TableOptions } from "./storage/table.js";
export { memoryBackend, memoryConfigSchema } from "./storage/memory.js";
export { Project, type ProjectOptions, type StorageSpec } from "./project.js";
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
  type ExecutionBackendDefinition,
  type StorageBackendDefinition,
} from "./definition.js";
export { REDACTED, configJsonSchema, didYouMean, issuesFromZod, parseBackendConfig, redactConfig, secretPaths } from "./backend-config.js";
export { Registry, defaultRegistry, isUri, type BackendInfo, type BackendSource, type RegistryOptions } from "./registry/registry.js";
export type { Diagnostic, DiagnosticPhase } from "./registry/diagnostic.js";
export { BUILTIN_BACKENDS } from "./builtins.js";
export type { ExecutionBackend, JobKind } from "./execution/contract.js";
