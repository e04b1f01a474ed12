import { mkdir } from "node:fs/promises";
import { type ExecutorDescription, InvalidConfigError, JobFailedError, UnavailableError } from "@themis/core";
import type { SlurmConfig } from "./config.js";
import { BACKEND_NAME } from "./labels.js";
import { type SlurmCli, slurm } from "./slurm-cli.js";

/** `key = value` lines of `scontrol show config` as a map. */
function configValues(text: string): Map<string, string> {
  const values = new Map<string, string>();
  for (const line of text.split("\n")) {
    const match = /^(\w+)\s*=\s*(.*)$/.exec(line.trim());
    if (match?.[1] !== undefined) values.set(match[1], (match[2] ?? "").trim());
  }
  return values;
}

/**
 * Check, before any job is submitted, that slurmctld answers, that the configured
 * partitions exist and that the work folder can be created: a mistake then fails
 * `create()` with the field's path, not every job later.
 */
export async function checkCluster(cli: SlurmCli, config: SlurmConfig): Promise<void> {
  const ping = await slurm(cli, "scontrol", ["ping"], "checking that slurmctld answers");
  if (!/\bUP\b/.test(ping)) throw new UnavailableError(`slurmctld does not answer: ${ping.trim().slice(0, 300)}`, { backend: BACKEND_NAME });
  for (const partition of config.partition?.split(",") ?? []) {
    try {
      await slurm(cli, "scontrol", ["show", "partition", partition], `looking up partition "${partition}"`);
    } catch (error) {
      if (!(error instanceof JobFailedError)) throw error;
      throw new InvalidConfigError(
        `invalid config for backend "${BACKEND_NAME}"`,
        [{ path: "partition", message: `the cluster has no partition "${partition}" (see sinfo)` }],
        { backend: BACKEND_NAME, cause: error },
      );
    }
  }
  try {
    await mkdir(config.workDir, { recursive: true, mode: 0o700 });
  } catch (error) {
    const reason = `cannot be created: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`;
    throw new InvalidConfigError(`invalid config for backend "${BACKEND_NAME}"`, [{ path: "workDir", message: reason }], {
      backend: BACKEND_NAME,
      cause: error,
    });
  }
}

/**
 * Provenance: the scheduler, its version and cluster name as slurmctld reports them, and
 * the resources jobs ask for. No paths, environment or config beyond those fields.
 */
export async function describeCluster(cli: SlurmCli, config: SlurmConfig): Promise<ExecutorDescription> {
  const [version, shown] = await Promise.all([
    slurm(cli, "scontrol", ["--version"], "reading the SLURM version"),
    slurm(cli, "scontrol", ["show", "config"], "reading the cluster's config"),
  ]);
  const values = configValues(shown);
  const resources: ExecutorDescription = {};
  const fields = {
    partition: config.partition,
    account: config.account,
    qos: config.qos,
    nodes: config.nodes,
    ntasks: config.ntasks,
    cpusPerTask: config.cpusPerTask,
    memory: config.memory,
    timeLimit: config.timeLimit,
  };
  for (const [key, value] of Object.entries(fields)) if (value !== undefined) resources[key] = value;
  return {
    scheduler: "slurm",
    // "slurm 23.11.4", or "slurm-wlm 22.05.8" from Debian's packages.
    version: /\d+\.\d+(\.\d+)?/.exec(version)?.[0] ?? null,
    cluster: values.get("ClusterName") ?? null,
    selectType: values.get("SelectType") ?? null,
    proctrackType: values.get("ProctrackType") ?? null,
    resources,
  };
}
