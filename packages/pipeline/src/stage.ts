import type { StagePostprocess } from "./postprocess.js";
import type { CommandTask, ExecutionSpec, FunctionTask, JsonValue, ModuleTask, RetryOptions, Row, StoredRow, TaskFunction } from "@themis/core";

/**
 * What a stage runs for each of its rows: an in-process function (local executors), a
 * module export called with JSON input (any executor) or a command. Module and command
 * tasks cannot tell TypeScript what they return: declare it with {@link moduleTask} /
 * {@link commandTask}.
 */
export type StageTask<I, O> =
  | TaskFunction<I, O>
  | FunctionTask<I, O>
  | (ModuleTask<I> & { readonly __output?: O })
  | (CommandTask<I> & { readonly __output?: O });

/** Options every stage has, whatever its input. */
export interface StageOptions {
  /** Executor name ("local", "docker", ...), definition or instance. Default: the themis config's, else "local". */
  execution?: ExecutionSpec;
  /** Config of the executor when it is created from a name (validated by its schema before anything runs). */
  executionConfig?: Record<string, unknown>;
  /** Rows of this stage running at once. Default: the executor's. */
  concurrency?: number;
  /** Per-row timeout in ms. */
  timeout?: number;
  retries?: number | RetryOptions;
  /** Recorded with each result and part of its cache key: changing one recomputes the stage. */
  parameters?: { [key: string]: JsonValue };
  /** Pin the task's code by hand: replaces the code hash in the cache key. */
  taskVersion?: string;
  /** Experiment table the results go to. Default: `<pipeline>-<stage>`. */
  experiment?: string;
  /**
   * Postprocessors run on the stage's current results once the stage is done (in this
   * order): `[{ use: "summary" }, { use: "archive", config: { storage: "s3", config: {...} } }]`.
   */
  postprocess?: readonly StagePostprocess[];
}

/** One stage of a pipeline, made by {@link stage}. `I` is what its task receives, `O` what it returns. */
// biome-ignore lint/suspicious/noExplicitAny: a stage of any types must be assignable to the default (inputs are contravariant)
export interface Stage<I = any, O = any> extends StageOptions {
  readonly kind: "themis.pipeline.stage";
  /** The dataset whose rows are the input (root stages). */
  readonly dataset?: string;
  /** The upstream stage(s) whose results are the input. */
  readonly from?: Upstream;
  readonly task: StageTask<I, O>;
  /** Carries the types only; never set. */
  readonly __types?: { readonly input: I; readonly output: O };
}

/**
 * Where a downstream stage's rows come from: one stage (its task receives that stage's
 * output), or several under field names (fan-in, joined on dataset row id: the task
 * receives `{ field: output, ... }`). A stage name as a string works too, untyped.
 */
export type Upstream = Stage | string | { readonly [field: string]: Stage | string };

/** What a stage's task returns (as stored). */
// biome-ignore lint/suspicious/noExplicitAny: matches a stage of any input type
export type OutputOf<S> = S extends Stage<any, infer O> ? O : unknown;

/** What a task reading from `F` receives. */
// biome-ignore lint/suspicious/noExplicitAny: matches a stage of any input type
export type InputOf<F> = F extends Stage<any, infer O> ? O : F extends string ? unknown : { -readonly [K in keyof F]: OutputOf<F[K]> };

type FromSpec<F extends Upstream, O> = StageOptions & { from: F; dataset?: never; task: StageTask<NoInfer<InputOf<F>>, O> };
type DatasetSpec<I extends Row, O> = StageOptions & { dataset: string; from?: never; task: StageTask<StoredRow<I>, O> };

/**
 * Declare a stage. Its input type is inferred from `from` (the upstream's output) or, for a
 * dataset stage, from the task's parameter; a task that does not accept what its upstream
 * returns is a compile error.
 *
 * @example
 * const answer = stage({ dataset: "qa", task: (row: StoredRow<{ q: string }>) => ({ text: row.q.toUpperCase() }) });
 * const score = stage({ from: answer, task: (a) => a.text.length });   // a: { text: string }
 */
export function stage<const F extends Upstream, O>(spec: FromSpec<F, O>): Stage<InputOf<F>, O>;
export function stage<I extends Row, O>(spec: DatasetSpec<I, O>): Stage<StoredRow<I>, O>;
// biome-ignore lint/suspicious/noExplicitAny: the untyped form; definePipeline infers the types
export function stage(spec: StageOptions & { from?: Upstream; dataset?: string; task: StageTask<any, any> }): Stage {
  return { ...spec, kind: "themis.pipeline.stage" };
}

/** A module task whose export returns `O` (JSON): `moduleTask<{ score: number }>({ module: "./score.ts" })`. */
// biome-ignore lint/suspicious/noExplicitAny: the input type is the upstream stage's output, inferred where the task is used
export function moduleTask<O = unknown, I = any>(spec: Omit<ModuleTask<I>, "kind">): ModuleTask<I> & { readonly __output?: O } {
  return { ...spec, kind: "module" };
}

/** A command task whose result is typed `O`. */
// biome-ignore lint/suspicious/noExplicitAny: the input type is the upstream stage's output, inferred where the task is used
export function commandTask<O = unknown, I = any>(spec: Omit<CommandTask<I>, "kind">): CommandTask<I> & { readonly __output?: O } {
  return { ...spec, kind: "command" };
}

/** True for a value made by {@link stage}. */
export function isStage(value: unknown): value is Stage {
  return typeof value === "object" && value !== null && (value as Stage).kind === "themis.pipeline.stage";
}
