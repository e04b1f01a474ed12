import { AlreadyExistsError, hasErrorCode } from "../errors.js";
import { parseBackendConfig, redactConfig } from "../backend-config.js";
import { isBackendDefinition } from "../definition.js";
import type { ExecutionSpec } from "../execution/executor.js";
import { type Task, taskCodeHash, taskIdentity } from "../execution/task.js";
import type { ProjectView } from "./project-view.js";
import type { Registry } from "../registry/registry.js";
import { type JsonValue, ROW_ID } from "../rows.js";
import type { Experiment } from "../storage/table.js";
import { canonicalJson, resumeKey } from "./resume-key.js";
import type { RunRecord } from "./run-record.js";
import { DoneSet } from "./done-set.js";

/** What a result was computed by: the task's identity, its code and the parameters. */
export interface TaskKey {
  identity: string;
  /** sha256 of the task's code (see `taskCodeHash`). */
  codeHash: string;
  /** The version pinned by hand, which stands for the code in the key. */
  taskVersion: string | null;
  /** The resume key of every result row of the run. */
  key: string;
}

/**
 * The resume key of a run: identity + code + parameters. Module tasks are keyed by the
 * sha256 of their resolved file (an edit recomputes); function and command tasks by their
 * source text, unless an id names them. A `taskVersion` replaces the code in the key.
 */
export function taskKeyOf(
  task: Task,
  options: { taskId?: string | undefined; taskVersion?: string | undefined },
  parameters: { [key: string]: JsonValue },
): TaskKey {
  const identity = options.taskId !== undefined ? `id:${options.taskId}` : taskIdentity(task);
  const codeHash = taskCodeHash(task);
  const taskVersion = options.taskVersion ?? null;
  const isModule = typeof task !== "function" && task.kind === "module";
  const code = taskVersion !== null ? `version:${taskVersion}` : isModule ? `sha256:${codeHash}` : "";
  return { identity, codeHash, taskVersion, key: resumeKey(code === "" ? identity : `${identity}\u0000${code}`, parameters) };
}

/** Open the experiment, creating it when missing; an existing one needs `resume`. */
export async function openOrCreateExperiment(project: ProjectView, name: string, resume: boolean): Promise<Experiment> {
  try {
    await project.createExperiment(name);
  } catch (error) {
    if (!hasErrorCode(error, "ERR_THEMIS_ALREADY_EXISTS")) throw error;
    if (!resume) {
      throw new AlreadyExistsError(`experiment "${name}" exists: pass resume: true to continue it, or choose another name`, {
        backend: project.storage.name,
        cause: error,
      });
    }
  }
  return project.getExperiment(name);
}

/** What earlier runs with this key did: rows done (skipped) and rows failed (redone, their error row replaced). */
export async function previousResults(
  experiment: Experiment,
  key: string,
): Promise<{ done: DoneSet; errorRows: Map<string, string>; errorRuns: Map<string, string> }> {
  // Fingerprints, not id strings: a resumed 10M-row run would hold ~1 GB of them otherwise.
  const done = new DoneSet();
  const errorRows = new Map<string, string>();
  const errorRuns = new Map<string, string>();
  for await (const row of experiment.entries()) {
    if (row.task_key !== key || typeof row.dataset_row_id !== "string") continue;
    const id = row.dataset_row_id;
    if (row.status === "ok") {
      done.add(id);
      if (errorRows.size > 0) {
        errorRows.delete(id);
        errorRuns.delete(id);
      }
    } else if (!done.has(id)) {
      errorRows.set(id, row[ROW_ID]);
      errorRuns.set(id, String(row.run_id));
    }
  }
  return { done, errorRows, errorRuns };
}

/** The latest earlier run of the same task and parameters whose code differs, if any. */
export function codeChangeSince(
  runs: readonly RunRecord[],
  identity: string,
  parameters: { [key: string]: JsonValue },
  codeHash: string,
  taskVersion: string | null,
): RunRecord | undefined {
  const params = canonicalJson(parameters);
  const same = runs.filter((r) => r.task === identity && canonicalJson(r.parameters) === params);
  const last = same.sort((a, b) => a.started_at.localeCompare(b.started_at)).at(-1);
  if (!last) return undefined;
  const changed = taskVersion !== null ? (last.task_version ?? null) !== taskVersion : (last.code_hash ?? null) !== codeHash;
  return changed ? last : undefined;
}

/** The executor's config with secrets redacted, when the run knows its definition (not for instances). */
export async function redactedExecutorConfig(
  spec: ExecutionSpec | undefined,
  config: Record<string, unknown> | undefined,
  registry: Registry,
): Promise<JsonValue> {
  try {
    const definition = isBackendDefinition(spec) ? spec : typeof spec === "string" ? await registry.get(spec, "execution") : undefined;
    if (!definition) return null;
    // The effective config (defaults filled in), as the executor received it.
    return JSON.parse(JSON.stringify(redactConfig(definition, parseBackendConfig(definition, config ?? {})) ?? null)) as JsonValue;
  } catch {
    return null;
  }
}

/** Versions of the packages of the backends a run uses. */
export async function packageVersions(registry: Registry, names: readonly string[]): Promise<Record<string, string>> {
  try {
    const out: Record<string, string> = {};
    for (const info of await registry.list()) {
      if (names.includes(info.name) && info.package && info.version) out[info.package] = info.version;
    }
    return out;
  } catch {
    return {};
  }
}
