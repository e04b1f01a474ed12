import { homedir } from "node:os";
import path from "node:path";
import { DEFAULT_MAX_OUTPUT_BYTES } from "@themis/core";
import { z } from "zod";
import { durationSchema as duration } from "@themis/core/backend";
import { ENV_NAME, SLURM_NAME, SLURM_NAME_LIST, directiveProblem, isSlurmMemory, isSlurmTime, pathProblem } from "./slurm-values.js";

/** Where job folders go when `workDir` is not set: the home folder is shared on most clusters, /tmp is not. */
export const DEFAULT_WORK_DIR = path.join(homedir(), ".themis", "slurm");

const absolutePath = z.string().superRefine((value, ctx) => {
  const problem = pathProblem(value);
  if (problem) ctx.addIssue({ code: "custom", message: problem });
});

const name = (what: string) => z.string().regex(SLURM_NAME, `expected a SLURM ${what} name: letters, digits, "_", ".", "+" or "-"`);

/**
 * Config of the "slurm" executor. Every field is honoured or rejected with its path;
 * nothing is silently ignored, and nothing reaches a batch script unchecked.
 */
export const slurmConfigSchema = z
  .object({
    workDir: absolutePath
      .default(DEFAULT_WORK_DIR)
      .meta({ path: true })
      .describe(
        "Shared folder for batch scripts, stdout/stderr and module results: it must be the same path on the submitting machine and on every compute node. Default: ~/.themis/slurm.",
      ),
    partition: z
      .string()
      .regex(SLURM_NAME_LIST, 'expected a partition name, or a comma list of them ("debug,long")')
      .optional()
      .describe("sbatch --partition. Default: the cluster's default partition."),
    account: name("account").optional().describe("sbatch --account (the allocation jobs are charged to)."),
    qos: name("QOS").optional().describe("sbatch --qos."),
    reservation: name("reservation").optional().describe("sbatch --reservation."),
    nodes: z.number().int().min(1).optional().describe("sbatch --nodes per job (for MPI commands; a module job uses one)."),
    ntasks: z.number().int().min(1).optional().describe("sbatch --ntasks per job."),
    cpusPerTask: z.number().int().min(1).optional().describe("sbatch --cpus-per-task."),
    memory: z
      .union([z.string(), z.number().int().min(1)])
      .optional()
      .refine((v) => v === undefined || typeof v === "number" || isSlurmMemory(v), {
        message: 'expected a SLURM size such as "512M" or "4G" (K, M, G, T), or megabytes as a number',
      })
      .describe('sbatch --mem per node: "512M", "4G", or megabytes. Jobs over it are killed by SLURM (OUT_OF_MEMORY).'),
    timeLimit: z
      .union([z.string(), z.number().int().min(1)])
      .optional()
      .refine((v) => v === undefined || typeof v === "number" || isSlurmTime(v), {
        message: 'expected a SLURM time limit: minutes, "MM:SS", "HH:MM:SS", "D-HH", "D-HH:MM", "D-HH:MM:SS" or "UNLIMITED"',
      })
      .describe(
        'sbatch --time: SLURM ends the job with TIMEOUT. Minutes as a number, or "HH:MM:SS", "D-HH:MM:SS". Default: from timeout, else the partition\'s.',
      ),
    directives: z
      .array(
        z.string().superRefine((value, ctx) => {
          const problem = directiveProblem(value);
          if (problem) ctx.addIssue({ code: "custom", message: problem });
        }),
      )
      .default([])
      .describe('Extra #SBATCH lines, each one long option: ["--gres=gpu:1", "--constraint=haswell", "--exclusive"].'),
    timeout: duration
      .optional()
      .describe(
        'Per-job timeout (each attempt), enforced by this executor: ms or "30s", "5m", "1h". The job is scancel-ed. Also sets --time (rounded up to minutes, plus one) when timeLimit is not set.',
      ),
    env: z
      .record(
        z.string(),
        z.string().refine((v) => !v.includes("\0"), { message: "must not contain NUL" }),
      )
      .superRefine((env, ctx) => {
        // Checked here rather than as a key schema, so the issue names the variable.
        for (const key of Object.keys(env)) {
          if (!ENV_NAME.test(key))
            ctx.addIssue({ code: "custom", path: [key], message: "expected a shell variable name: letters, digits and _, not starting with a digit" });
        }
      })
      .default({})
      .describe(
        "Environment variables for every job (a job's own env wins). Jobs also get the submitting process' environment, as sbatch passes it (--export=ALL).",
      ),
    cwd: absolutePath.optional().describe("Working directory of jobs on the compute node. Default: the job's own folder under workDir."),
    node: z.string().min(1).default("node").describe('Node.js program on the compute nodes, for module jobs: "node" (on PATH there) or an absolute path.'),
    slurmBinDir: absolutePath.optional().describe("Folder of sbatch, squeue, scancel and scontrol. Default: found on PATH."),
    slurmConf: absolutePath.optional().describe("slurm.conf for the SLURM commands (sets SLURM_CONF for them). Default: the system's."),
    jobNamePrefix: name("job").max(64).default("themis").describe('Jobs are named "<prefix>-<index>" in squeue.'),
    pollIntervalMs: z
      .number()
      .int()
      .min(50)
      .max(60_000)
      .default(250)
      .describe("Shortest delay between two squeue calls (right after a job is submitted or ends); it grows to a fifth of the time since then."),
    maxPollIntervalMs: z
      .number()
      .int()
      .min(50)
      .max(600_000)
      .default(5000)
      .describe("Longest delay between two squeue calls (one call covers every job of the executor)."),
    cancelWaitMs: z
      .number()
      .int()
      .min(0)
      .max(600_000)
      .default(60_000)
      .describe("How long a stopped job may take to leave the queue after scancel before its result is given anyway."),
    keepJobFiles: z.boolean().default(false).describe("Keep each job's folder (script, stdout, stderr) after its result is read; for debugging."),
    concurrency: z.number().int().min(1).default(8).describe("Jobs in the queue at once when map/runExperiment do not say."),
    maxOutputBytes: z
      .number()
      .int()
      .nonnegative()
      .default(DEFAULT_MAX_OUTPUT_BYTES)
      .describe("Bytes of stdout and of stderr kept per job (the rest is counted, not kept). A job's maxOutputBytes wins."),
  })
  .strict()
  .superRefine((config, ctx) => {
    if (config.maxPollIntervalMs < config.pollIntervalMs) {
      ctx.addIssue({ code: "custom", path: ["maxPollIntervalMs"], message: `must be at least pollIntervalMs (${config.pollIntervalMs})` });
    }
  });

/** What a user writes (defaults optional). */
export type SlurmConfigInput = z.input<typeof slurmConfigSchema>;
/** The validated config, defaults applied. */
export type SlurmConfig = z.output<typeof slurmConfigSchema>;
