import type { JobResult, RunContext } from "../execution/contract.js";
import type { JsonValue } from "../rows.js";
import type { ResolvedModuleJob } from "./module-job.js";

/** The files of a module job in its folder: the runner, the job description, the result. */
export const MODULE_RUNNER_FILES = { runner: "runner.mjs", job: "job.json", result: "result.json" } as const;

/** What the runner reads from `job.json`: the module to import, the export, its input and context. */
export interface ModuleRunnerJob {
  /** The module's URL (`file:`), or a specifier the runner resolves where it runs (see {@link ModuleRunnerOptions.resolveFrom}). */
  readonly url: string;
  readonly exportName: string;
  readonly input: JsonValue;
  readonly attempt: number;
  readonly index: number;
}

/** What differs between the machines a module runner runs on. */
export interface ModuleRunnerOptions {
  /** Who wrote the script (its first line names it), e.g. `@themis/backend-slurm`. */
  readonly by: string;
  /**
   * Where `job.json` is read and `result.json` written: `"beside-script"` (the runner's own
   * folder, e.g. a folder copied into a container) or `"argv"` (the folder given as the
   * runner's first argument: `node runner.mjs <jobDir>`).
   */
  readonly jobDir: "beside-script" | "argv";
  /**
   * Write `result.json.tmp` and rename it (default false): a reader on a shared file system
   * (NFS) then never sees half a result. Not needed where the result is read only after the
   * runner exited, on the same file system.
   */
  readonly atomicResult?: boolean;
  /**
   * Where a `url` that is a package specifier (the submitting machine could not resolve it)
   * is resolved: `"cwd"` (default: the job's working directory, as `node -e` would) or
   * `"job-dir"` (the job folder).
   */
  readonly resolveFrom?: "cwd" | "job-dir";
  /** Who sends SIGTERM, for the abort reason's message (e.g. `SLURM`). */
  readonly stoppedBy?: string;
}

/**
 * The source of a module runner: a standalone ES module (Node >= 18, no dependency, not
 * TypeScript) that runs one module job where neither Themis nor this package exist: in a
 * container, on a compute node. It reads `job.json` ({@link ModuleRunnerJob}), imports the
 * module, calls the export with `(input, { signal, attempt, index })` and writes
 * `result.json`: `{ ok: true, value }` or `{ ok: false, error }`, the error serialized as
 * core's JobError (read it back with {@link parseModuleRunnerResult}). SIGTERM (a container
 * stop, scancel) aborts `signal` so the export can clean up in the grace period. It exits
 * once the result is written, even if the module left timers or sockets open.
 *
 * @example
 * ```ts
 * const source = moduleRunnerSource({ by: "my-executor", jobDir: "argv", atomicResult: true });
 * await writeFile(path.join(dir, MODULE_RUNNER_FILES.runner), source);
 * await writeFile(path.join(dir, MODULE_RUNNER_FILES.job), JSON.stringify(moduleRunnerJob(resolveModuleJob(job), context)));
 * // run `node <dir>/runner.mjs <dir>` there, then:
 * const result = parseModuleRunnerResult(await readFile(path.join(dir, MODULE_RUNNER_FILES.result), "utf8"));
 * ```
 */
export function moduleRunnerSource(options: ModuleRunnerOptions): string {
  const { job, result } = MODULE_RUNNER_FILES;
  const dir = options.jobDir === "argv" ? "process.argv[2]" : "dirname(fileURLToPath(import.meta.url))";
  const base = options.resolveFrom === "job-dir" ? "dir" : "process.cwd()";
  const stopped = `job was stopped (SIGTERM${options.stoppedBy ? ` from ${options.stoppedBy}` : ""})`;
  const write = options.atomicResult
    ? `// Written aside and renamed: a reader on a shared file system never sees half a result.
writeFileSync(join(dir, ${str(`${result}.tmp`)}), text);
renameSync(join(dir, ${str(`${result}.tmp`)}), join(dir, ${str(result)}));`
    : `writeFileSync(join(dir, ${str(result)}), text);`;
  return `// Themis module runner (${options.by.replace(/[\r\n]/g, " ")}): one module export, JSON in, JSON out.
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const dir = ${dir};
const job = JSON.parse(readFileSync(join(dir, ${str(job)}), "utf8"));

const controller = new AbortController();
process.once("SIGTERM", () => {
  const reason = new Error(${str(stopped)});
  reason.name = "AbortError";
  reason.code = "ERR_THEMIS_ABORTED";
  controller.abort(reason);
});
${RUNNER_BODY}
async function load(spec) {
  if (spec.startsWith("file:")) return import(spec);
  if (spec.startsWith("/")) return import(pathToFileURL(spec).href);
  // A package specifier the submitting machine could not resolve: resolved here.
  const require = createRequire(join(${base}, "noop.js"));
  return import(pathToFileURL(require.resolve(spec)).href);
}

const text = await run();
${write}
process.exit(0);
`;
}

/** A JSON string literal: every value put into the generated source goes through it. */
const str = (value: string): string => JSON.stringify(value);

// The part of the runner that is the same everywhere: error serialization and the call.
const RUNNER_BODY = String.raw`
function toJobError(error, depth = 0) {
  if (typeof error === "object" && error !== null) {
    const out = {
      name: typeof error.name === "string" && error.name ? error.name : "Error",
      message: typeof error.message === "string" ? error.message : safeString(error),
      retryable: error.retryable === true,
    };
    if (typeof error.code === "string") out.code = error.code;
    else if (typeof error.code === "number") out.code = String(error.code);
    if (typeof error.stack === "string") out.stack = error.stack;
    if (error.cause !== undefined && depth < 5) out.cause = toJobError(error.cause, depth + 1);
    return out;
  }
  return { name: "NonError", message: String(error), retryable: false };
}

function safeString(value) {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

async function call() {
  const mod = await load(job.url);
  const fn = mod[job.exportName];
  if (typeof fn !== "function") {
    const found = Object.keys(mod).filter((k) => typeof mod[k] === "function");
    const error = new TypeError("export \"" + job.exportName + "\" of " + job.url + " is not a function (functions exported: " + (found.join(", ") || "none") + ")");
    error.code = "ERR_THEMIS_INVALID_EXPORT";
    throw error;
  }
  const value = await fn(job.input, { signal: controller.signal, attempt: job.attempt, index: job.index });
  return value === undefined ? null : JSON.parse(JSON.stringify(value));
}

// The result as JSON text; a value that cannot be serialized becomes the job's error.
async function run() {
  let result;
  try {
    result = { ok: true, value: await call() };
  } catch (error) {
    result = { ok: false, error: toJobError(error) };
  }
  try {
    return JSON.stringify(result);
  } catch (error) {
    return JSON.stringify({ ok: false, error: toJobError(error) });
  }
}
`;

/**
 * The `job.json` of a module job resolved with {@link resolveModuleJob}. `url` overrides the
 * resolved URL (e.g. a specifier left for the runner to resolve where it runs).
 */
export function moduleRunnerJob(
  resolved: Pick<ResolvedModuleJob, "url" | "exportName" | "input">,
  context: Pick<RunContext, "attempt" | "index">,
  url = resolved.url,
): ModuleRunnerJob {
  return { url, exportName: resolved.exportName, input: resolved.input, attempt: context.attempt, index: context.index };
}

/** The runner's `result.json` as a JobResult, or undefined when it is missing, torn or not a result. */
export function parseModuleRunnerResult<T>(text: string | Buffer | undefined): JobResult<T> | undefined {
  if (text === undefined) return undefined;
  try {
    const parsed = JSON.parse(typeof text === "string" ? text : text.toString("utf8")) as { ok?: unknown };
    if (parsed && typeof parsed === "object" && typeof parsed.ok === "boolean") return parsed as JobResult<T>;
  } catch {
    // A torn or foreign file: treated as no result.
  }
  return undefined;
}
