/**
 * `@themis/backend-slurm`: the "slurm" execution backend. Runs Themis command and module
 * jobs as SLURM batch jobs (a generated script per job, sbatch, squeue, scancel), with the
 * job's resources from the config and every SLURM end state mapped to a Themis result.
 *
 * @packageDocumentation
 */
import "./backend-configs.js";
export { slurmBackend, slurmBackend as default } from "./definition.js";
export { SlurmExecutor } from "./slurm-executor.js";
export { DEFAULT_WORK_DIR, slurmConfigSchema, type SlurmConfig, type SlurmConfigInput } from "./config.js";
export { batchScript, type ScriptSpec } from "./batch-script.js";
export { type FinalState, type StateOutcome, decodeExitStatus, isTerminal, stateOutcome } from "./job-states.js";
