import { defineExecutionBackend } from "@themis/core";
import { type SlurmConfig, slurmConfigSchema } from "./config.js";
import { BACKEND_NAME } from "./labels.js";
import { SlurmExecutor } from "./slurm-executor.js";

/**
 * The "slurm" execution backend: command and module jobs as SLURM batch jobs. Installing
 * this package makes it available to the registry; this definition can also be passed
 * directly (`map(task, items, { executor: slurmBackend })`).
 */
export const slurmBackend = defineExecutionBackend<SlurmConfig>({
  name: BACKEND_NAME,
  description: "Runs command and module jobs as SLURM batch jobs (sbatch, squeue, scancel; resources from the config)",
  configSchema: slurmConfigSchema,
  create: (config) => SlurmExecutor.create(config),
});
