/**
 * `@themis/core/config`: the themis config file (`themis.config.ts`, YAML, JSON; env
 * references), backend configs (validation, redaction, JSON Schema) and their types.
 * The same names are still exported from `@themis/core` (deprecated there).
 */
export * from "../config-file/index.js";
export { REDACTED, configJsonSchema, didYouMean, issuesFromZod, parseBackendConfig, redactConfig, secretPaths } from "../backend-config.js";
export type { BackendConfigs, ConfigFor } from "../backend-configs.js";
