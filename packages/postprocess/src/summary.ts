import { type JsonValue, type PostprocessInput, type StoredRow, definePostprocessor } from "@themis/core";
import { z } from "zod";
import { report, throwIfAborted } from "./report.js";

/** Config of the "summary" postprocessor. */
export const summaryConfigSchema = z.strictObject({
  /** Metrics to summarise. Default: every numeric or boolean metric found. */
  metrics: z.array(z.string().min(1)).optional(),
});
export type SummaryConfig = z.infer<typeof summaryConfigSchema>;

/** One metric over the ok rows that have it (booleans count as 0 / 1: the mean is a rate). */
export interface MetricStats {
  [key: string]: number;
  count: number;
  mean: number;
  std: number;
  min: number;
  p50: number;
  max: number;
}

/**
 * The metrics of a result row: core experiments keep them in `scores` (a task returning
 * `{ output, scores }`); otherwise the numeric and boolean fields of `output` (a pipeline
 * stage's value), or `output` itself when it is a number or a boolean.
 */
export function metricsOf(row: StoredRow): Map<string, number> {
  const out = new Map<string, number>();
  const add = (name: string, v: JsonValue | undefined): void => {
    if (typeof v === "number" && Number.isFinite(v)) out.set(name, v);
    else if (typeof v === "boolean") out.set(name, v ? 1 : 0);
  };
  const source = row.scores !== undefined && row.scores !== null ? row.scores : row.output;
  if (typeof source === "object" && source !== null && !Array.isArray(source)) {
    for (const [k, v] of Object.entries(source)) add(k, v);
  } else add("output", source);
  return out;
}

function stats(values: number[]): MetricStats {
  values.sort((a, b) => a - b);
  const n = values.length;
  const mean = values.reduce((s, v) => s + v, 0) / n;
  const variance = n > 1 ? values.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1) : 0;
  const mid = Math.floor(n / 2);
  const p50 = n % 2 === 1 ? (values[mid] ?? 0) : ((values[mid - 1] ?? 0) + (values[mid] ?? 0)) / 2;
  return { count: n, mean, std: Math.sqrt(variance), min: values[0] ?? 0, p50, max: values[n - 1] ?? 0 };
}

const fmt = (v: number): string => (Number.isInteger(v) ? String(v) : v.toPrecision(4));

/** The summary as a plain-text table (what the CLI prints). */
export function summaryTable(metrics: { [metric: string]: MetricStats }): string {
  const header = ["metric", "count", "mean", "std", "min", "p50", "max"];
  const lines = Object.entries(metrics).map(([name, s]) => [name, fmt(s.count), fmt(s.mean), fmt(s.std), fmt(s.min), fmt(s.p50), fmt(s.max)]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? "").length)));
  return [header, ...lines]
    .map((l) =>
      l
        .map((c, i) => c.padEnd(widths[i] ?? 0))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

async function summarise(config: SummaryConfig, input: PostprocessInput) {
  const values = new Map<string, number[]>();
  let rows = 0;
  let ok = 0;
  for await (const row of input.rows) {
    throwIfAborted(input.signal, "summary");
    rows++;
    if (row.status === "error") continue;
    ok++;
    for (const [name, v] of metricsOf(row)) {
      if (config.metrics && !config.metrics.includes(name)) continue;
      let list = values.get(name);
      if (!list) {
        list = [];
        values.set(name, list);
      }
      list.push(v);
    }
  }
  const metrics: { [metric: string]: MetricStats } = {};
  for (const name of [...values.keys()].sort()) metrics[name] = stats(values.get(name) ?? []);
  const missing = (config.metrics ?? []).filter((m) => !values.has(m));
  const table = summaryTable(metrics);
  const message = `${rows} rows (${ok} ok, ${rows - ok} failed), ${Object.keys(metrics).length} metrics${missing.length ? `; not found: ${missing.join(", ")}` : ""}`;
  return report("summary", { message, rows, data: { rows, ok, failed: rows - ok, metrics, missing, table } });
}

/**
 * "summary": a metric summary table (count, mean, std, min, median, max per metric) of an
 * experiment's results. Reads rows once, keeps one number per row and metric.
 */
export const summaryPostprocessor = definePostprocessor({
  name: "summary",
  description: "metric summary table (count, mean, std, min, p50, max)",
  configSchema: summaryConfigSchema,
  create: (config: SummaryConfig) => ({ name: "summary", run: (input: PostprocessInput) => summarise(config, input) }),
});

export default summaryPostprocessor;
