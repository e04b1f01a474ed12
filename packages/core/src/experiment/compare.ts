import type { ProjectView } from "./project-view.js";
import type { StoredRow } from "../rows.js";
import { type RunRecord, getRun } from "./run-record.js";
import { bootstrapMean, mcnemar } from "./stats.js";

/** One metric of two runs, over the dataset rows both scored. */
export interface MetricComparison {
  metric: string;
  kind: "number" | "boolean";
  /** Dataset rows scored by both runs. */
  pairs: number;
  meanA: number;
  meanB: number;
  /** meanB - meanA (for booleans: the difference of rates). */
  delta: number;
  /** Confidence interval of the delta (paired bootstrap; numbers only). */
  ci: [number, number] | null;
  /** Booleans: rows true in A only and in B only (McNemar's discordant pairs). */
  discordant: { aOnly: number; bOnly: number } | null;
  /** Two-sided p-value: bootstrap for numbers, McNemar for booleans. */
  p: number;
  /** Whether the difference is significant at the level asked (the interval excludes 0 / p below 1 - level). */
  significant: boolean;
}

/** One side of a comparison. */
export interface ComparedRun {
  runId: string;
  experiment: string;
  /** Result rows of the run's resume key. */
  rows: number;
  errorRate: number | null;
}

/** What {@link compareRuns} returns. */
export interface RunComparison {
  a: ComparedRun;
  b: ComparedRun;
  level: number;
  /** Dataset rows with a result in both runs. */
  both: number;
  onlyInA: string[];
  onlyInB: string[];
  metrics: MetricComparison[];
}

/** Options of {@link compareRuns}. */
export interface CompareOptions {
  /** Confidence level. Default: 0.95. */
  level?: number;
  /** Bootstrap resamples. Default: 2000. */
  resamples?: number;
  /** Seed of the bootstrap's generator (same seed, same figures). Default: 1. */
  seed?: number;
}

/** A run's results, by dataset row id: the rows of its experiment with its resume key (a resumed run stands for the rows it skipped too). */
export async function runResults(project: ProjectView, run: RunRecord): Promise<Map<string, StoredRow>> {
  const out = new Map<string, StoredRow>();
  for await (const row of await project.getExperiment(run.experiment)) {
    if (row.task_key === run.task_key && typeof row.dataset_row_id === "string") out.set(row.dataset_row_id, row);
  }
  return out;
}

function scoresOf(row: StoredRow | undefined): Record<string, unknown> | undefined {
  if (row?.status !== "ok") return undefined;
  const scores = row.scores;
  return scores && typeof scores === "object" && !Array.isArray(scores) ? (scores as Record<string, unknown>) : undefined;
}

function compareMetric(metric: string, pairs: [number | boolean, number | boolean][], options: Required<CompareOptions>): MetricComparison {
  const kind = typeof pairs[0]![0] === "boolean" ? "boolean" : "number";
  const a = pairs.map(([x]) => Number(x));
  const b = pairs.map(([, y]) => Number(y));
  const mean = (v: number[]): number => v.reduce((s, x) => s + x, 0) / v.length;
  const base = { metric, kind, pairs: pairs.length, meanA: mean(a), meanB: mean(b), delta: mean(b) - mean(a) } as const;
  if (kind === "boolean") {
    const aOnly = pairs.filter(([x, y]) => x === true && y !== true).length;
    const bOnly = pairs.filter(([x, y]) => x !== true && y === true).length;
    const p = mcnemar(aOnly, bOnly);
    return { ...base, ci: null, discordant: { aOnly, bOnly }, p, significant: p < 1 - options.level };
  }
  const boot = bootstrapMean(
    b.map((y, i) => y - a[i]!),
    options,
  );
  return { ...base, ci: [boot.low, boot.high], discordant: null, p: boot.p, significant: boot.low > 0 || boot.high < 0 };
}

/**
 * Compare two runs row by row: join their results on dataset row id, and per metric (the
 * scores the task returned) give both means, the delta and a paired test (bootstrap
 * confidence interval for numbers, McNemar for booleans), plus the rows only one run has.
 */
export async function compareRuns(project: ProjectView, runA: string, runB: string, options: CompareOptions = {}): Promise<RunComparison> {
  const settings: Required<CompareOptions> = { level: options.level ?? 0.95, resamples: options.resamples ?? 2000, seed: options.seed ?? 1 };
  const [a, b] = await Promise.all([getRun(project, runA), getRun(project, runB)]);
  const [rowsA, rowsB] = await Promise.all([runResults(project, a), runResults(project, b)]);
  const onlyInA = [...rowsA.keys()].filter((id) => !rowsB.has(id));
  const onlyInB = [...rowsB.keys()].filter((id) => !rowsA.has(id));
  const pairs = new Map<string, [number | boolean, number | boolean][]>();
  for (const [id, rowA] of rowsA) {
    const sa = scoresOf(rowA);
    const sb = scoresOf(rowsB.get(id));
    if (!sa || !sb) continue;
    for (const [metric, x] of Object.entries(sa)) {
      const y = sb[metric];
      if ((typeof x !== "number" && typeof x !== "boolean") || typeof y !== typeof x) continue;
      let list = pairs.get(metric);
      if (!list) {
        list = [];
        pairs.set(metric, list);
      }
      list.push([x, y as number | boolean]);
    }
  }
  const side = (run: RunRecord, rows: Map<string, StoredRow>): ComparedRun => {
    const errors = [...rows.values()].filter((r) => r.status !== "ok").length;
    return { runId: run.run_id, experiment: run.experiment, rows: rows.size, errorRate: rows.size > 0 ? errors / rows.size : null };
  };
  return {
    a: side(a, rowsA),
    b: side(b, rowsB),
    level: settings.level,
    both: rowsA.size - onlyInA.length,
    onlyInA,
    onlyInB,
    metrics: [...pairs].sort(([x], [y]) => x.localeCompare(y)).map(([metric, list]) => compareMetric(metric, list, settings)),
  };
}
