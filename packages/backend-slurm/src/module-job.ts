import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import type { JobResult, ModuleJob, RunContext } from "@themis/core";
import { MODULE_RUNNER_FILES, moduleRunnerJob, moduleRunnerSource, parseModuleRunnerResult, resolveModuleJob } from "@themis/core/backend";
import { BACKEND_NAME } from "./labels.js";

/** Files of a module job inside its folder. */
export const MODULE_FILES = MODULE_RUNNER_FILES;

/**
 * The runner written into each job's folder (`node runner.mjs <jobDir>`): core's module
 * runner, reading the job from the folder it is given, and writing its result aside then
 * renaming it (the submitter reads it over a shared file system). SIGTERM (scancel, or
 * SLURM's time limit, both send it before SIGKILL) aborts the job's signal.
 */
export const MODULE_RUNNER_SOURCE = moduleRunnerSource({ by: "@themis/backend-slurm", jobDir: "argv", atomicResult: true, stoppedBy: "SLURM" });

/**
 * The module's URL as the compute node should import it: resolved here, as the local
 * executor resolves it, to an absolute `file:` URL (the file must be on the shared file
 * system: same path on every node). A specifier that does not resolve here is passed on
 * as it is and resolved on the node from the job's working directory.
 */
export function moduleUrl(job: ModuleJob): string {
  try {
    const resolved = resolveModuleJob(job, { backend: BACKEND_NAME });
    return resolved.file === undefined ? job.module : resolved.url;
  } catch {
    return job.module;
  }
}

/** Write the runner and the job description into the job's folder; returns the argv that runs it. */
export async function writeModuleJob(dir: string, job: ModuleJob, context: Pick<RunContext, "attempt" | "index">, node: string): Promise<string[]> {
  const description = moduleRunnerJob({ url: moduleUrl(job), exportName: job.export ?? "default", input: job.input ?? null }, context);
  await writeFile(path.join(dir, MODULE_FILES.runner), MODULE_RUNNER_SOURCE, { mode: 0o600 });
  await writeFile(path.join(dir, MODULE_FILES.job), JSON.stringify(description), { mode: 0o600 });
  return [node, path.join(dir, MODULE_FILES.runner), dir];
}

/** The runner's result, or undefined when it wrote none (killed, node missing) or not a result. */
export async function readModuleResult<T>(dir: string): Promise<JobResult<T> | undefined> {
  let text: string;
  try {
    text = await readFile(path.join(dir, MODULE_FILES.result), "utf8");
  } catch {
    return undefined;
  }
  return parseModuleRunnerResult<T>(text);
}
