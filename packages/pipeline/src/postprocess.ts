import {
  type JsonValue,
  type PostprocessReport,
  type PostprocessSpec,
  type Postprocessor,
  type Project,
  type Registry,
  type StoredRow,
  createPostprocessor,
  defaultRegistry,
  isBackendDefinition,
  parseBackendConfig,
} from "@themis/core";
import type { StageResults } from "./cache.js";

/** A postprocessor attached to a stage: run on the stage's current results once the stage is done. */
export interface StagePostprocess {
  /** A registry name ("summary", "export", "archive"), a definition, or a created postprocessor. */
  use: PostprocessSpec;
  /** Its config (validated by its schema before anything runs). */
  config?: Record<string, unknown>;
}

/** What a stage's postprocessor did: its report, or why it failed (the run then ends failed). */
export type StagePostprocessOutcome = PostprocessReport | { postprocessor: string; error: { code: string | null; message: string } };

/** A stage's postprocessor, checked (name known, config valid) but not created. */
export interface CheckedPostprocess {
  readonly name: string;
  run(project: Project, experiment: string, results: StageResults, signal: AbortSignal): Promise<StagePostprocessOutcome>;
}

function nameOf(use: PostprocessSpec): string {
  return typeof use === "string" ? use : use.name;
}

/** Look up each postprocessor and validate its config, so a bad one fails before any stage runs. */
export async function checkPostprocess(list: readonly StagePostprocess[] | undefined, registry: Registry | undefined): Promise<CheckedPostprocess[]> {
  const checked: CheckedPostprocess[] = [];
  for (const p of list ?? []) {
    const config = p.config ?? {};
    const use = typeof p.use === "string" ? await (registry ?? defaultRegistry()).get(p.use, "postprocess") : p.use;
    if (isBackendDefinition(use)) parseBackendConfig(use, config);
    checked.push({
      name: nameOf(p.use),
      async run(project, experiment, results, signal) {
        const rows = [...results.latest.values()] as StoredRow[];
        let created: { postprocessor: Postprocessor; owned: boolean } | undefined;
        try {
          created = await createPostprocessor(use, config, registry);
          return await created.postprocessor.run({ project, experiment, runId: null, rows: iterate(rows), signal });
        } catch (error) {
          const e = error as { code?: string; message?: string };
          return { postprocessor: nameOf(p.use), error: { code: e.code ?? null, message: String(e.message ?? error) } };
        } finally {
          if (created?.owned) await created.postprocessor.close?.();
        }
      },
    });
  }
  return checked;
}

async function* iterate(rows: readonly StoredRow[]): AsyncGenerator<StoredRow> {
  yield* rows;
}

/** Outcomes as JSON for the run record. */
export function outcomesJson(outcomes: readonly StagePostprocessOutcome[]): JsonValue {
  return JSON.parse(JSON.stringify(outcomes)) as JsonValue;
}
