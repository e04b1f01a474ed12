// The execution conformance suite (command and module jobs) against the private cluster.
// The node is this machine, so job processes are host processes: the suite checks their
// pids for orphans directly.
import { randomUUID } from "node:crypto";
import { executionSuite } from "@themis/conformance";
import { afterAll, expect } from "vitest";
import type { SlurmExecutor } from "../src/index.ts";
import { slurmTestEnv } from "./env.ts";
import { createSlurmExecutor, queued } from "./helpers.ts";

const env = slurmTestEnv();
const created: SlurmExecutor[] = [];
// Put into the executor's config: describe() must not echo the config back.
const canary = `canary-${randomUUID()}`;

afterAll(() => {
  // Nothing the suite submitted is still in the queue once every executor is closed.
  if (env) expect(queued(env)).toEqual([]);
});

executionSuite({
  name: "slurm",
  kinds: ["module", "command"],
  skip: env ? false : "no SLURM cluster (see the warning above)",
  create: async () => {
    if (!env) throw new Error("no cluster");
    const executor = await createSlurmExecutor(env, { concurrency: 3, env: { THEMIS_CANARY: canary } });
    created.push(executor);
    return executor;
  },
  // Jobs of the suite's executors still in the queue once the job's outcome is out.
  leftovers: async () => created.reduce((n, executor) => n + executor.activeJobs.length, 0),
  capabilities: {
    hostProcesses: true,
    // sbatch, scheduling and the first squeue that sees the end: ~0.5-2 s on a busy machine.
    startupMs: 4000,
    describes: true,
  },
  secrets: [canary],
  timeout: 120_000,
});
