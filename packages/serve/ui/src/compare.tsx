import { useState } from "preact/hooks";
import { type ComparedRow, type MetricComparison, api } from "./api.js";
import { href } from "./route.js";
import { useAsync } from "./use-async.js";
import { cellText } from "./value.js";

const PAGE = 200;
// Four significant digits, without trailing zeros ("0.5", not "0.5000").
const fmt = (x: number): string => String(Number(x.toPrecision(4)));

function MetricRows({ metrics }: { metrics: MetricComparison[] }) {
  if (metrics.length === 0) return <p class="muted">no metric scored by both runs (tasks return {"{ output, scores }"})</p>;
  return (
    <table class="runs" data-testid="compare-metrics">
      <thead>
        <tr>
          {["metric", "pairs", "A", "B", "delta", "CI / discordant", "p", "significant"].map((h) => (
            <th key={h}>{h}</th>
          ))}
        </tr>
      </thead>
      <tbody>
        {metrics.map((m) => (
          <tr key={m.metric} class={m.significant ? "significant" : ""}>
            <td>{m.metric}</td>
            <td>{m.pairs}</td>
            <td>{fmt(m.meanA)}</td>
            <td>{fmt(m.meanB)}</td>
            <td>{(m.delta >= 0 ? "+" : "") + fmt(m.delta)}</td>
            <td>{m.ci ? `[${fmt(m.ci[0])}, ${fmt(m.ci[1])}]` : `McNemar ${m.discordant!.aOnly}/${m.discordant!.bOnly}`}</td>
            <td>{m.p < 0.0001 ? "<0.0001" : m.p.toFixed(4)}</td>
            <td>{m.significant ? "yes" : "no"}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

const side = (row: ComparedRow["a"]): string => (row ? `${cellText(row.output)} ${cellText(row.scores)}` : "(no result)");

/** Two runs side by side: core's per-metric deltas and tests, then the rows joined on dataset row id. */
export function CompareView({ project, a, b }: { project: string; a: string; b: string }) {
  const [changedOnly, setChangedOnly] = useState(false);
  const [offset, setOffset] = useState(0);
  const { value, error } = useAsync(() => api.compare(project, a, b, changedOnly, offset, PAGE), [project, a, b, changedOnly, offset]);
  if (error) return <p class="error">{error}</p>;
  if (!value) return <p class="muted">loading…</p>;
  const c = value.comparison;
  return (
    <div class="page">
      <h2>
        compare <a href={href({ view: "run", project, run: a })}>{a}</a> (A) with <a href={href({ view: "run", project, run: b })}>{b}</a> (B)
      </h2>
      <p class="muted">
        {c.both} rows in both runs; confidence {c.level * 100}%
      </p>
      <MetricRows metrics={c.metrics} />
      <div class="toolbar">
        <label>
          <input
            type="checkbox"
            checked={changedOnly}
            onChange={(e) => {
              setChangedOnly((e.target as HTMLInputElement).checked);
              setOffset(0);
            }}
          />{" "}
          only rows that changed
        </label>
        <span class="count" data-testid="compare-count">
          {value.total} rows, {value.changed} changed
        </span>
        {offset > 0 ? (
          <button type="button" class="button" onClick={() => setOffset(Math.max(0, offset - PAGE))}>
            previous
          </button>
        ) : null}
        {offset + PAGE < value.total ? (
          <button type="button" class="button" onClick={() => setOffset(offset + PAGE)}>
            next
          </button>
        ) : null}
      </div>
      <table class="runs" data-testid="compare-rows">
        <thead>
          <tr>
            <th>dataset row</th>
            <th>A</th>
            <th>B</th>
          </tr>
        </thead>
        <tbody>
          {value.rows.map((r) => (
            <tr key={r.dataset_row_id} class={r.changed ? "changed" : ""}>
              <td>{r.dataset_row_id}</td>
              <td>{side(r.a)}</td>
              <td>{side(r.b)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
