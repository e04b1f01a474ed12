import { isBackendDefinition, type PostprocessorDefinition } from "../definition.js";
import { InvalidDefinitionError } from "../errors.js";
import { parseBackendConfig } from "../backend-config.js";
import type { Project } from "../project.js";
import { type Registry, defaultRegistry } from "../registry/registry.js";
import type { StoredRow } from "../rows.js";
import type { PostprocessReport, Postprocessor } from "./contract.js";

/** A postprocessor by registry name ("summary"), by definition, or already created. */
export type PostprocessSpec = string | PostprocessorDefinition | Postprocessor;

/** Options of {@link runPostprocess}. */
export interface RunPostprocessOptions {
  /** The experiment whose results are processed. */
  experiment: string;
  /** Only the rows of this run (result rows whose `run_id` is it). Default: every row. */
  runId?: string;
  /** The postprocessor's config, validated by its schema before anything is read. */
  config?: Record<string, unknown>;
  /** The rows to process instead of the experiment's stored rows (a pipeline stage's current results). */
  rows?: AsyncIterable<StoredRow> | Iterable<StoredRow>;
  /** Registry for names. Default: the default registry. */
  registry?: Registry;
  signal?: AbortSignal;
}

function isPostprocessor(value: unknown): value is Postprocessor {
  return typeof value === "object" && value !== null && !isBackendDefinition(value) && typeof (value as Postprocessor).run === "function";
}

/** Create a postprocessor from a spec; `owned`: the caller closes it. */
export async function createPostprocessor(
  spec: PostprocessSpec,
  config: Record<string, unknown> = {},
  registry?: Registry,
): Promise<{ postprocessor: Postprocessor; owned: boolean }> {
  if (isPostprocessor(spec)) return { postprocessor: spec, owned: false };
  const definition = typeof spec === "string" ? await (registry ?? defaultRegistry()).get(spec, "postprocess") : spec;
  if (definition.kind !== "postprocess") throw new InvalidDefinitionError(`backend "${definition.name}" is ${definition.kind}, not a postprocessor`);
  const parsed = parseBackendConfig(definition, config);
  return { postprocessor: await definition.create(parsed), owned: true };
}

async function* storedRows(project: Project, experiment: string, runId: string | undefined): AsyncGenerator<StoredRow> {
  const table = await project.getExperiment(experiment);
  for await (const row of table.entries()) {
    if (runId === undefined || row.run_id === runId) yield row;
  }
}

async function* fromIterable(rows: AsyncIterable<StoredRow> | Iterable<StoredRow>): AsyncGenerator<StoredRow> {
  yield* rows;
}

/**
 * Run a postprocessor on an experiment's results (or one run's): the config is validated
 * by the postprocessor's schema (InvalidConfigError with field paths) and the experiment
 * opened (NotFoundError) before it starts; a postprocessor created here is closed after.
 *
 * @example
 * const report = await runPostprocess(project, "export", { experiment: "qa-answers", config: { format: "csv", path: "out.csv" } });
 * console.log(report.message); // wrote 100 rows to out.csv
 */
export async function runPostprocess(project: Project, spec: PostprocessSpec, options: RunPostprocessOptions): Promise<PostprocessReport> {
  const { postprocessor, owned } = await createPostprocessor(spec, options.config, options.registry);
  try {
    if (options.rows === undefined) await project.getExperiment(options.experiment); // NotFoundError before the postprocessor starts
    const rows = options.rows === undefined ? storedRows(project, options.experiment, options.runId) : fromIterable(options.rows);
    return await postprocessor.run({
      project,
      experiment: options.experiment,
      runId: options.runId ?? null,
      rows,
      signal: options.signal ?? new AbortController().signal,
    });
  } finally {
    if (owned) await postprocessor.close?.();
  }
}
