import { defineExecutionBackend } from "@themis/core";
import { type DockerConfig, dockerConfigSchema } from "./config.js";
import { DockerExecutor } from "./docker-executor.js";
import { BACKEND_NAME } from "./labels.js";

/**
 * The "docker" execution backend: command and module jobs in Docker containers, on the
 * Docker Engine API. Installing this package makes it available to the registry; this
 * definition can also be passed directly (`map(task, items, { executor: dockerBackend })`).
 */
export const dockerBackend = defineExecutionBackend<DockerConfig>({
  name: BACKEND_NAME,
  description: "Runs command and module jobs in Docker containers (limits, volumes, no network by default)",
  configSchema: dockerConfigSchema,
  create: (config) => DockerExecutor.create(config),
});
