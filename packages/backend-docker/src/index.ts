/**
 * `@themis/backend-docker`: the "docker" execution backend. Runs Themis command and module
 * jobs in Docker containers through the Docker Engine API, with resource limits, volumes,
 * a non-root user and no network by default.
 *
 * @packageDocumentation
 */
import "./backend-configs.js";
export { dockerBackend, dockerBackend as default } from "./definition.js";
export { DockerExecutor } from "./docker-executor.js";
export { DEFAULT_USER, dockerConfigSchema, type DockerConfig, type DockerConfigInput } from "./config.js";
export type { DockerLogEvent } from "./log-lines.js";
export type { PreparedImage } from "./prepared-image.js";
export { LABELS } from "./labels.js";
export { removeLeftoverContainers, type LeftoverFilter } from "./cleanup.js";
