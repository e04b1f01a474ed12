import { defineProject } from "vitest/config";

export default defineProject({
  test: {
    name: "backend-slurm",
    include: ["test/**/*.test.ts"],
    exclude: ["dist/**", "node_modules/**"],
    // Starts a private one-node SLURM cluster (munged, slurmctld, slurmd) for the whole run.
    globalSetup: ["test/global-setup.ts"],
    // One cluster for every file: files in parallel would only queue behind each other.
    fileParallelism: false,
    // A job takes ~0.5-2 s from sbatch to its end state on a busy 2-core machine; the one
    // TIMEOUT test waits for slurmctld's time-limit sweep (60-90 s).
    testTimeout: 120_000,
    hookTimeout: 60_000,
  },
});
