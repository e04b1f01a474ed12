/**
 * "local/csv": Themis storage on the local disk, one CSV file per table, readable in a
 * spreadsheet and compatible with Ragas' local/csv layout.
 *
 * @example
 * ```ts
 * import { Project } from "@themis/core";
 * const project = await Project.create("my_project", "local/csv", { rootDir: "./data" });
 * ```
 *
 * @packageDocumentation
 */
import { defineStorageBackend } from "@themis/core";
import { localCsvConfigSchema } from "./config.js";
import { BACKEND_NAME } from "./names.js";
import { LocalCsvStorage } from "./storage.js";
import "./backend-configs.js";

export { DEFAULT_ROOT_DIR, localCsvConfigSchema, type LocalCsvConfig, type LocalCsvOptions } from "./config.js";
export { LocalCsvStorage } from "./storage.js";

/** The "local/csv" backend definition (found by the registry through package.json). */
export const localCsvBackend = defineStorageBackend({
  name: BACKEND_NAME,
  description: "One CSV file per table on the local disk (spreadsheet-readable, Ragas-compatible layout)",
  configSchema: localCsvConfigSchema,
  create: (config) => new LocalCsvStorage(config),
});

export default localCsvBackend;
