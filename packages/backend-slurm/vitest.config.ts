import { defineProject } from "vitest/config";
import { MAX_WORKERS, workspaceSourceAliases } from "../../vitest.shared.ts";

export default defineProject({
  // Workspace packages load from src/, not a possibly stale dist/ (see vitest.shared.ts).
  resolve: { alias: workspaceSourceAliases() },
  test: {
    name: "backend-slurm",
    maxWorkers: MAX_WORKERS,
    include: ["test/**/*.test.ts"],
    exclude: ["dist/**", "node_modules/**"],
    // Starts a private one-node SLURM cluster (munged, slurmctld, slurmd) for the whole run.
    globalSetup: ["test/global-setup.ts"],
    // The tests that use the cluster share one file (test/cluster.test.ts), so this project's
    // files run in parallel with the rest of the suite.
    // A job takes ~0.5-2 s from sbatch to its end state on a busy 2-core machine; the one
    // TIMEOUT test waits for slurmctld's time-limit sweep (60-90 s).
    testTimeout: 120_000,
    hookTimeout: 60_000,
  },
});
