import { fileURLToPath } from "node:url";
import { JobFailedError } from "../execution/errors.js";
import type { ModuleJob } from "../execution/contract.js";
import { resolveModuleUrl } from "../execution/module-source.js";
import { NotFoundError } from "../errors.js";
import type { JsonValue } from "../rows.js";

/** A module job resolved the way core's local executor resolves it. */
export interface ResolvedModuleJob {
  /** The module's URL (`file:` for a file on this machine). Import it, or hand it to a child process or thread. */
  readonly url: string;
  /** The file, when `url` is a `file:` URL. */
  readonly file: string | undefined;
  /** The export to call (`job.export`, default `"default"`). */
  readonly exportName: string;
  /** The input (`job.input`, default `null`). */
  readonly input: JsonValue;
}

/**
 * Resolve a module job as the local executor does: absolute paths and `file:` URLs as they
 * are; relative paths and package specifiers from `job.resolveFrom` (default: the current
 * directory) with Node's ESM rules (exports maps, the "import" condition). Do it in the
 * process that received the job and pass `url` on: a child process or a thread then needs
 * no resolver of its own (no `--experimental-import-meta-resolve`). NotFoundError when the
 * module cannot be resolved.
 */
export function resolveModuleJob(job: ModuleJob, options: { backend?: string } = {}): ResolvedModuleJob {
  let url: string;
  try {
    url = resolveModuleUrl(job.module, job.resolveFrom);
  } catch (error) {
    throw new NotFoundError(
      `module "${job.module}" cannot be resolved from ${job.resolveFrom ?? process.cwd()}: check the path, or install the package there`,
      { backend: options.backend, cause: error },
    );
  }
  return { url, file: url.startsWith("file:") ? fileURLToPath(url) : undefined, exportName: job.export ?? "default", input: job.input ?? null };
}

/**
 * Import a resolved module job's export: the function to call as `fn(input, context)`.
 * JobFailedError (`ERR_THEMIS_JOB_FAILED`) when the module throws while loading or the
 * export is not a function, naming the module and the exports it has.
 */
export async function importModuleExport(
  resolved: ResolvedModuleJob,
  options: { backend?: string } = {},
): Promise<(input: JsonValue, context: unknown) => unknown> {
  let namespace: Record<string, unknown>;
  try {
    namespace = (await import(resolved.url)) as Record<string, unknown>;
  } catch (error) {
    throw new JobFailedError(`module ${resolved.file ?? resolved.url} failed to load: ${(error as Error).message}`, { backend: options.backend, cause: error });
  }
  const fn = namespace[resolved.exportName];
  if (typeof fn !== "function") {
    const names = Object.keys(namespace).join(", ") || "none";
    throw new JobFailedError(`module ${resolved.file ?? resolved.url} has no function export "${resolved.exportName}" (its exports: ${names})`, {
      backend: options.backend,
    });
  }
  return fn as (input: JsonValue, context: unknown) => unknown;
}
