import { defineExecutionBackend } from "@themis/core";
import { BullmqExecutor } from "./bullmq-executor.js";
import { type BullmqConfig, bullmqConfigSchema } from "./config.js";
import { BACKEND_NAME } from "./errors.js";
import { startWorker } from "./worker.js";

/**
 * The "bullmq" execution backend: module and command jobs queued on BullMQ (Redis) and run
 * by `themis worker` processes on any number of machines. Installing this package makes it
 * available to the registry; the definition can also be passed directly
 * (`map(task, items, { executor: bullmqBackend, executorConfig: { url } })`).
 */
export const bullmqBackend = defineExecutionBackend<BullmqConfig>({
  name: BACKEND_NAME,
  description: "Runs module and command jobs on themis worker processes of many machines, through BullMQ on Redis",
  configSchema: bullmqConfigSchema,
  create: (config) => BullmqExecutor.create(config),
  startWorker: (config, options) => startWorker(config, options),
});
