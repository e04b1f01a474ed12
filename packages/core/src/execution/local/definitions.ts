import { z } from "zod";
import { MAX_TIMEOUT_MS } from "../../deadline.js";
import { defineExecutionBackend } from "../../definition.js";
import { LOCAL_DEFAULTS, LocalExecutor } from "./local-executor.js";

const positiveInt = z.number().int().positive();

const sharedFields = {
  maxOutputBytes: z
    .number()
    .int()
    .nonnegative()
    .default(LOCAL_DEFAULTS.maxOutputBytes)
    .describe("Bytes of stdout and of stderr kept per command job (the rest is counted, not kept)."),
  killGraceMs: z
    .number()
    .int()
    .nonnegative()
    .max(MAX_TIMEOUT_MS)
    .default(LOCAL_DEFAULTS.killGraceMs)
    .describe("Milliseconds between SIGTERM and SIGKILL when a command's process group is stopped."),
  idleTimeoutMs: z
    .number()
    .int()
    .nonnegative()
    .max(MAX_TIMEOUT_MS)
    .default(LOCAL_DEFAULTS.idleTimeoutMs)
    .describe("Milliseconds an idle worker thread lives before it exits."),
};

/** Config of the "local" executor. */
export const localConfigSchema = z
  .object({
    concurrency: positiveInt.default(LOCAL_DEFAULTS.concurrency).describe("Jobs at once when map/runExperiment do not say (default: CPU cores)."),
    maxThreads: positiveInt.default(LOCAL_DEFAULTS.maxThreads).describe("Worker threads for module jobs (default: CPU cores)."),
    tasksPerThread: positiveInt
      .default(LOCAL_DEFAULTS.tasksPerThread)
      .describe("Module jobs one worker thread runs at once, so jobs in flight may exceed the threads (I/O-bound tasks; `themis run -j` sets it)."),
    ...sharedFields,
  })
  .strict();
export type LocalConfig = z.output<typeof localConfigSchema>;

/** Config of the "sequential" executor. */
export const sequentialConfigSchema = z.object(sharedFields).strict();
export type SequentialConfig = z.output<typeof sequentialConfigSchema>;

/**
 * The built-in "local" executor (the default): functions in-process, module jobs on a
 * worker-thread pool (piscina), commands as child processes without a shell.
 */
export const localBackend = defineExecutionBackend({
  name: "local",
  description: "Runs jobs on this machine: functions in-process, modules on worker threads, commands as child processes",
  configSchema: localConfigSchema,
  create: (config: LocalConfig) => new LocalExecutor({ name: "local", ...config }),
});

/** The built-in "sequential" executor: one job at a time, same semantics as "local" (for debugging). */
export const sequentialBackend = defineExecutionBackend({
  name: "sequential",
  description: 'Runs one job at a time on this machine (debugging); timeouts and cancellation as "local"',
  configSchema: sequentialConfigSchema,
  create: (config: SequentialConfig) =>
    new LocalExecutor({ name: "sequential", concurrency: 1, maxConcurrency: 1, maxThreads: 1, tasksPerThread: 1, ...config }),
});
