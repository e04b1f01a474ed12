import { createHash } from "node:crypto";
import type { JsonValue } from "../rows.js";
import { moduleCodeHash } from "./module-source.js";
import type { CommandJob, Job, JobKind, TaskFunction } from "./contract.js";

/**
 * An in-process function task with an explicit identity. A bare function works too; `id`
 * matters for `runExperiment`'s resume key (see {@link taskIdentity}).
 */
// biome-ignore lint/suspicious/noExplicitAny: a task of any input type must be assignable to the default (parameters are contravariant)
export interface FunctionTask<I = any, O = unknown> {
  readonly kind: "function";
  readonly fn: TaskFunction<I, O>;
  /** Stable identity of the task (e.g. "score@v2"); default: derived from the function's source. */
  readonly id?: string;
}

/** Call a module export with each item (as JSON input). Runs in a worker, a process or a container. */
// biome-ignore lint/suspicious/noExplicitAny: a task of any input type must be assignable to the default (parameters are contravariant)
export interface ModuleTask<I = any> {
  readonly kind: "module";
  /** Absolute path, `file:` URL or package specifier (see {@link ModuleJob.module}). */
  readonly module: string;
  /** Export to call. Default: `"default"`. */
  readonly export?: string;
  /** Where relative paths and package specifiers are resolved from. Default: the current directory. */
  readonly resolveFrom?: string;
  /** Turn an item into the export's JSON input. Default: the item itself. */
  readonly input?: (item: I, index: number) => JsonValue;
  /** Stable identity of the task; default: module + export. */
  readonly id?: string;
}

/** Run a command per item: `command(item, index)` describes it (argv, env, cwd, stdin...). */
// biome-ignore lint/suspicious/noExplicitAny: a task of any input type must be assignable to the default (parameters are contravariant)
export interface CommandTask<I = any> {
  readonly kind: "command";
  readonly command: (item: I, index: number) => Omit<CommandJob, "kind">;
  /** Stable identity of the task; default: derived from the builder's source. */
  readonly id?: string;
}

/** What `map` and `runExperiment` run for each item. */
// biome-ignore lint/suspicious/noExplicitAny: a task of any input type must be assignable to the default (parameters are contravariant)
export type Task<I = any, O = unknown> = TaskFunction<I, O> | FunctionTask<I, O> | ModuleTask<I> | CommandTask<I>;

/** The job kind a task produces. */
export function taskKind(task: Task): JobKind {
  return typeof task === "function" ? "function" : task.kind;
}

/** The job for one item. */
export function jobFor<I>(task: Task<I>, item: I, index: number): Job {
  if (typeof task === "function") return { kind: "function", fn: task, input: item };
  switch (task.kind) {
    case "function":
      return { kind: "function", fn: task.fn, input: item };
    case "module": {
      const input = task.input ? task.input(item, index) : (item as JsonValue);
      return {
        kind: "module",
        module: task.module,
        input,
        ...(task.export === undefined ? {} : { export: task.export }),
        ...(task.resolveFrom === undefined ? {} : { resolveFrom: task.resolveFrom }),
      };
    }
    case "command":
      return { ...task.command(item, index), kind: "command" };
  }
}

const hash = (text: string): string => createHash("sha256").update(text).digest("hex").slice(0, 16);

/**
 * A stable string identifying what a task computes, for resume keys: the explicit `id`
 * when given, else the module and export, else a hash of the function's source text (so
 * editing the function starts fresh instead of reusing stale results).
 */
export function taskIdentity(task: Task): string {
  if (typeof task === "function") return `function:${task.name || "anonymous"}:${hash(task.toString())}`;
  if (task.id !== undefined) return `${task.kind}:id:${task.id}`;
  switch (task.kind) {
    case "function":
      return `function:${task.fn.name || "anonymous"}:${hash(task.fn.toString())}`;
    case "module":
      return `module:${task.module}#${task.export ?? "default"}${task.input ? `:${hash(task.input.toString())}` : ""}`;
    case "command":
      return `command:${hash(task.command.toString())}`;
  }
}

/**
 * The sha256 of the code a task runs, for resume keys and provenance: the resolved module
 * file of a module task (NotFoundError when it is missing), the source text of a function
 * or of a command builder. Code a module imports from other files is not covered.
 */
export function taskCodeHash(task: Task): string {
  if (typeof task === "function") return createHash("sha256").update(task.toString()).digest("hex");
  switch (task.kind) {
    case "function":
      return createHash("sha256").update(task.fn.toString()).digest("hex");
    case "module":
      return moduleCodeHash(task.module, task.resolveFrom);
    case "command":
      return createHash("sha256").update(task.command.toString()).digest("hex");
  }
}
