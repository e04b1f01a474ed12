// vitest globalSetup: a private one-node SLURM cluster for every test file, stopped (its
// jobs scancel-ed first) after the run. A machine that cannot run it is a loud skip
// locally and a failure in CI (requireService).
import { requireService } from "@themis/conformance";
import type { TestProject } from "vitest/node";
import { type PrivateCluster, clusterUnavailableReason, startCluster } from "./cluster.ts";
import type { SlurmTestEnv } from "./env.ts";

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  let cluster: PrivateCluster | undefined;
  const reason = clusterUnavailableReason();
  if (reason === undefined) {
    try {
      cluster = await startCluster();
    } catch (error) {
      requireService("SLURM cluster", false, `it did not start: ${(error as Error).message}`);
    }
  } else {
    requireService("SLURM cluster", false, reason);
  }
  const env: SlurmTestEnv | null = cluster ? { slurmConf: cluster.slurmConf, workDir: cluster.workDir } : null;
  project.provide("slurm", env);
  return async () => {
    await cluster?.stop();
  };
}
