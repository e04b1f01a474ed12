/**
 * @themis/backend-s3: the "s3" storage backend for Themis, on @aws-sdk/client-s3.
 *
 * Tables are logs of immutable segment objects (created with If-None-Match: *) plus a
 * compacted base named by a small manifest (replaced with If-Match), so any number of
 * processes can append at once without losing rows, and appending N rows is one request.
 *
 * @example
 * ```ts
 * import { Project } from "@themis/core";
 * const project = await Project.create("my_project", "s3://my-bucket/themis");
 * ```
 *
 * @packageDocumentation
 */
import { defineStorageBackend, parseBackendConfig } from "@themis/core";
import { BACKEND_NAME, type S3Config, type S3ConfigInput, configFromUri, s3ConfigSchema } from "./config.js";
import { S3Storage } from "./s3-storage.js";
import "./backend-configs.js";

export { BACKEND_NAME, configFromUri, s3ConfigSchema, type S3Config, type S3ConfigInput } from "./config.js";
export { S3Storage } from "./s3-storage.js";
export type { CompactionResult } from "./table-log.js";

/**
 * The "s3" backend definition, found by the registry through this package's
 * `themisBackends` entry, or used directly: `Project.create("p", s3Backend, { bucket })`.
 */
export const s3Backend = defineStorageBackend<S3Config>({
  name: BACKEND_NAME,
  description: "Amazon S3 and S3-compatible servers (log-structured, safe with many writers)",
  schemes: ["s3"],
  configSchema: s3ConfigSchema,
  configFromUri,
  create: (config) => new S3Storage(config),
});

/**
 * Create the backend directly, typed (options are validated like the registry does;
 * InvalidConfigError names the field). Useful to call `compact()` or to share one instance.
 *
 * @example
 * ```ts
 * const storage = createS3Storage({ bucket: "evals", prefix: "team-a" });
 * const project = await Project.openOrCreate("my_project", storage);
 * await storage.compact("my_project", "dataset", "qa");
 * ```
 */
export function createS3Storage(options: S3ConfigInput): S3Storage {
  return new S3Storage(parseBackendConfig(s3Backend, options));
}

export default s3Backend;
