import type { JsonValue } from "../rows.js";

/** Summary of one metric over a run's rows (booleans count as 0/1: their mean is a rate). */
export interface MetricSummary {
  [key: string]: JsonValue;
  kind: "number" | "boolean";
  count: number;
  mean: number;
  std: number;
  p50: number;
  p95: number;
}

/** Scores a task returned for one row: metric name -> number or boolean. */
export type Scores = { [metric: string]: number | boolean };

/**
 * The scores in a task's value, when it has the shape `{ output, scores: { name: number |
 * boolean } }` (and no other keys); undefined for any other value.
 */
export function splitScores(value: unknown): { output: unknown; scores: Scores } | undefined {
  if (!value || typeof value !== "object" || Array.isArray(value)) return undefined;
  const keys = Object.keys(value);
  if (!keys.includes("scores") || keys.some((k) => k !== "output" && k !== "scores")) return undefined;
  const scores = (value as { scores: unknown }).scores;
  if (!scores || typeof scores !== "object" || Array.isArray(scores)) return undefined;
  for (const v of Object.values(scores)) {
    if (typeof v === "boolean") continue;
    if (typeof v !== "number" || !Number.isFinite(v)) return undefined;
  }
  return { output: (value as { output?: unknown }).output ?? null, scores: scores as Scores };
}

/** Linear-interpolated quantile of sorted values. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/** Collects the scores of a run and summarizes them per metric. */
export class MetricsCollector {
  readonly #values = new Map<string, { kind: "number" | "boolean"; values: number[] }>();

  add(scores: Scores): void {
    // Once per result row: a `for...in` over own keys, without the arrays Object.entries builds.
    for (const name in scores) {
      if (!Object.hasOwn(scores, name)) continue;
      const v = scores[name] as number | boolean;
      let entry = this.#values.get(name);
      if (!entry) {
        entry = { kind: typeof v === "boolean" ? "boolean" : "number", values: [] };
        this.#values.set(name, entry);
      }
      entry.values.push(typeof v === "boolean" ? (v ? 1 : 0) : v);
    }
  }

  summary(): { [metric: string]: MetricSummary } {
    const out: { [metric: string]: MetricSummary } = {};
    for (const [name, { kind, values }] of this.#values) {
      const n = values.length;
      const mean = values.reduce((a, b) => a + b, 0) / n;
      const variance = n > 1 ? values.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1) : 0;
      const sorted = [...values].sort((a, b) => a - b);
      out[name] = { kind, count: n, mean, std: Math.sqrt(variance), p50: quantile(sorted, 0.5), p95: quantile(sorted, 0.95) };
    }
    return out;
  }
}
