/**
 * "box/csv": Themis storage on Box (box.com), one CSV file per table, written with
 * optimistic concurrency (If-Match on every new version) through box-node-sdk.
 *
 * @packageDocumentation
 */
import { defineStorageBackend } from "@themis/core";
import { BoxIo } from "./box-io.js";
import { createBoxClient } from "./client.js";
import { boxConfigSchema } from "./config.js";
import { BACKEND_NAME } from "./errors.js";
import { BoxStorage } from "./storage.js";
import "./backend-configs.js";

export { boxConfigSchema, type BoxConfig, type BoxConfigInput } from "./config.js";
export { createBoxClient, type BoxAuthMode, type CreatedBoxClient } from "./client.js";
export { BoxRetryPolicy, retryAfterMs, type BoxRetryPolicyOptions } from "./retry-strategy.js";
export { BoxRequestError } from "./errors.js";
export { BoxStorage } from "./storage.js";
export { KIND_FOLDERS, tableFileName } from "./layout.js";

/**
 * The "box/csv" backend definition. Installed packages are found by the registry; use it
 * directly with `Project.create(name, boxBackend, config)` too.
 *
 * @example
 * ```ts
 * const project = await Project.create("qa_eval", "box/csv", { rootFolderId: "123456789" });
 * // credentials from BOX_DEVELOPER_TOKEN, BOX_JWT_CONFIG_FILE or BOX_CLIENT_ID/BOX_CLIENT_SECRET
 * ```
 */
export const boxBackend = defineStorageBackend({
  name: BACKEND_NAME,
  description: "Box (box.com): one CSV file per table, If-Match on every write",
  configSchema: boxConfigSchema,
  schemes: ["box"],
  capabilities: {
    // Box keeps one item per name in a folder whatever its case: "data" beside "Data" is ALREADY_EXISTS.
    caseInsensitiveNames: true,
    // Handles hold their folder's or file's id: a re-created project or table is a new item they never reach.
    handlesById: true,
  },
  // box://<folder id>: the root folder (credentials come from the config or the environment).
  configFromUri: (uri) => (uri.hostname ? { rootFolderId: uri.hostname } : {}),
  create: (config) => {
    const { client, release } = createBoxClient(config);
    return new BoxStorage(new BoxIo(client, config.folderPageSize, config.timeoutMs), config.rootFolderId, config.conflictRetries, release);
  },
});

export default boxBackend;
