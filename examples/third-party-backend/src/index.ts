/**
 * themis-backend-jsonl: a Themis storage backend that keeps one JSON Lines file per table.
 *
 * Install it next to `@themis/core` and it is discovered through the `themisBackends` field
 * of its package.json: `Project.create("my_project", "jsonl", { rootDir: "./data" })`.
 *
 * @packageDocumentation
 */
import { defineStorageBackend } from "@themis/core/backend";
import { BACKEND_NAME, jsonlConfigSchema } from "./config.js";
import { JsonlStorage } from "./storage.js";

export { jsonlConfigSchema, type JsonlConfig } from "./config.js";
export { JsonlStorage, PROJECT_MARKER } from "./storage.js";

/**
 * The "jsonl" backend definition. The registry imports this module on first use and takes
 * the export whose `name` matches the package.json entry (here also the default export).
 */
export const jsonlBackend = defineStorageBackend({
  name: BACKEND_NAME,
  description: "One JSON Lines file per table on the local disk (third-party example)",
  configSchema: jsonlConfigSchema,
  capabilities: { persistent: true },
  create: (config) => new JsonlStorage(config),
});

export default jsonlBackend;
