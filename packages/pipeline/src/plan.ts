import type { Project, Registry } from "@themis/core";
import { type RowReason, type StageResults, decide, keyFor, reusedResult, storedFor } from "./cache.js";
import type { Pipeline } from "./define.js";
import { joinHash } from "./joiner.js";
import { type PreparedStage, type Selection, loadStageResults, prepareStages } from "./prepare.js";
import { datasetRowHash } from "./stage-runner.js";

/** What a run would do with one stage. */
export interface StagePlan {
  stage: string;
  experiment: string;
  /** "run": computes what changed; "stored": its stored results are read (not selected by only/from). */
  mode: "run" | "stored";
  /** Rows that reach the stage. */
  rows: number;
  /** Rows reused as they are. */
  cached: number;
  /** Rows that run. */
  run: number;
  /** Rows some upstream of a join does not have. */
  unmatched: number;
  /** Why rows run (or are cached): count per reason. */
  reasons: Partial<Record<RowReason, number>>;
  /** Up to 5 row ids per reason, to look at. */
  examples: Partial<Record<RowReason, string[]>>;
}

export interface PipelinePlan {
  pipeline: string;
  stages: StagePlan[];
}

/** Options of {@link planPipeline}. */
export interface PlanOptions extends Selection {
  registry?: Registry;
}

function emptyPlan(s: PreparedStage): StagePlan {
  return { stage: s.name, experiment: s.experiment, mode: s.mode, rows: 0, cached: 0, run: 0, unmatched: 0, reasons: {}, examples: {} };
}

function count(plan: StagePlan, rowId: string, reason: RowReason): void {
  plan.rows++;
  if (reason === "cached") plan.cached++;
  else plan.run++;
  plan.reasons[reason] = (plan.reasons[reason] ?? 0) + 1;
  plan.examples[reason] ??= [];
  const ex = plan.examples[reason];
  if (ex.length < 5) ex.push(rowId);
}

/** The cache key of each row of a stage that runs; counts each row's reason into `plan`. */
async function planStage(
  pipeline: Pipeline,
  s: PreparedStage,
  results: StageResults,
  keys: Map<string, Map<string, string>>,
  plan: StagePlan,
): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const consider = (rowId: string, inputHash: string): void => {
    const reused = reusedResult(results, rowId, inputHash, s.codeHash, s.paramsHash);
    if (reused !== undefined) {
      count(plan, rowId, "cached");
      out.set(rowId, reused.cache_key);
      return;
    }
    const key = keyFor(results, rowId, inputHash, s.codeHash, s.paramsHash);
    count(plan, rowId, decide(storedFor(results, rowId, key), key, s.root));
    out.set(rowId, key.key);
  };
  if (s.root) {
    for await (const row of s.dataset!.entries()) consider(row._row_id, datasetRowHash(row));
    return out;
  }
  const edges = pipeline.nodes.get(s.name)!.upstream;
  const upstream = edges.map((e) => keys.get(e.stage) ?? new Map<string, string>());
  // Every row id some upstream has, once: those of the first upstream, then the others' own.
  const seenEarlier = (u: number, rowId: string): boolean => {
    for (let e = 0; e < u; e++) if (upstream[e]?.has(rowId)) return true;
    return false;
  };
  for (const [u, m] of upstream.entries()) {
    for (const rowId of m.keys()) {
      if (u > 0 && seenEarlier(u, rowId)) continue;
      const k = upstream.map((other) => other.get(rowId));
      if (k.includes(undefined)) plan.unmatched++;
      else consider(rowId, joinHash(edges, k));
    }
  }
  return out;
}

/**
 * What {@link runPipeline} would do, without running or creating anything: per stage, how
 * many rows are reused and why the others run (new row, input or upstream changed, code
 * changed, parameters changed, failed before). Checks the pipeline as a run does first.
 * Keys do not depend on outputs, so the plan is exact for rows whose upstream rows succeed.
 */
export async function planPipeline(project: Project, pipeline: Pipeline, options: PlanOptions = {}): Promise<PipelinePlan> {
  const stages = await prepareStages(project, pipeline, options, options.registry);
  const stored = await loadStageResults(project, stages, false);
  const keys = new Map<string, Map<string, string>>();
  const plans: StagePlan[] = [];
  for (const [i, s] of stages.entries()) {
    const plan = emptyPlan(s);
    const results = stored[i]!.results;
    if (s.mode === "stored") {
      const ok = new Map<string, string>();
      for (const r of results.latest.values()) if (r.status === "ok") ok.set(r.dataset_row_id, r.cache_key);
      plan.rows = plan.cached = ok.size;
      keys.set(s.name, ok);
    } else keys.set(s.name, await planStage(pipeline, s, results, keys, plan));
    plans.push(plan);
  }
  return { pipeline: pipeline.name, stages: plans };
}
