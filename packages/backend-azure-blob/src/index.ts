/**
 * @themis/backend-azure-blob: the "azure-blob" storage backend for Themis, on
 * @azure/storage-blob.
 *
 * Tables are logs of immutable segment blobs, each created with If-None-Match: *, so any
 * number of processes can append at once without losing rows, and appending N rows is one
 * request.
 *
 * @example
 * ```ts
 * import { Project } from "@themis/core";
 * // credentials from $AZURE_STORAGE_CONNECTION_STRING
 * const project = await Project.create("my_project", "azure://my-container/themis");
 * ```
 *
 * @packageDocumentation
 */
import { defineStorageBackend, parseBackendConfig } from "@themis/core";
import { AzureBlobStorage } from "./azure-storage.js";
import { type AzureConfig, type AzureConfigInput, BACKEND_NAME, azureConfigSchema, configFromUri } from "./config.js";
import "./backend-configs.js";

export { AzureBlobStorage } from "./azure-storage.js";
export { BACKEND_NAME, CONNECTION_STRING_ENV, azureConfigSchema, configFromUri, type AzureConfig, type AzureConfigInput } from "./config.js";

/**
 * The "azure-blob" backend definition, found by the registry through this package's
 * `themisBackends` entry (name `azure-blob`, scheme `azure://`), or used directly.
 */
export const azureBlobBackend = defineStorageBackend<AzureConfig>({
  name: BACKEND_NAME,
  description: "Azure Blob Storage (log-structured, safe with many writers)",
  schemes: ["azure"],
  configSchema: azureConfigSchema,
  configFromUri,
  create: (config) => new AzureBlobStorage(config),
});

/**
 * Create the backend directly, typed (options are validated like the registry does;
 * InvalidConfigError names the field).
 *
 * @example
 * ```ts
 * const storage = createAzureBlobStorage({ container: "evals", connectionString: process.env.AZURE_STORAGE_CONNECTION_STRING });
 * const project = await Project.openOrCreate("my_project", storage);
 * ```
 */
export function createAzureBlobStorage(options: AzureConfigInput): AzureBlobStorage {
  return new AzureBlobStorage(parseBackendConfig(azureBlobBackend, options));
}

export default azureBlobBackend;
