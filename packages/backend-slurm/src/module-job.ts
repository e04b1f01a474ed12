import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { type JobResult, type ModuleJob, type RunContext, resolveModuleFile } from "@themis/core";
import { MODULE_RUNNER_SOURCE } from "./module-runner-source.js";

/** Files of a module job inside its folder. */
export const MODULE_FILES = { runner: "runner.mjs", job: "job.json", result: "result.json" } as const;

/**
 * The module's URL as the compute node should import it: resolved here, as the local
 * executor resolves it, to an absolute `file:` URL (the file must be on the shared file
 * system: same path on every node). A specifier that does not resolve here is passed on
 * as it is and resolved on the node from the job's working directory.
 */
export function moduleUrl(job: ModuleJob): string {
  try {
    return pathToFileURL(resolveModuleFile(job.module, job.resolveFrom)).href;
  } catch {
    return job.module;
  }
}

/** Write the runner and the job description into the job's folder; returns the argv that runs it. */
export async function writeModuleJob(dir: string, job: ModuleJob, context: RunContext, node: string): Promise<string[]> {
  const description = { url: moduleUrl(job), exportName: job.export ?? "default", input: job.input ?? null, attempt: context.attempt, index: context.index };
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
  try {
    const parsed = JSON.parse(text) as { ok?: unknown };
    if (parsed && typeof parsed === "object" && typeof parsed.ok === "boolean") return parsed as JobResult<T>;
  } catch {
    // A foreign or torn file: treated as no result.
  }
  return undefined;
}
