import { useEffect, useState } from "preact/hooks";
import { type Json, type Run, api } from "./api.js";
import { STATIC_EXPORT } from "./mode.js";
import { href } from "./route.js";
import { useAsync } from "./use-async.js";
import { Fields, cellText } from "./value.js";

/** A run's status word: the server's `state` (core's `runState`), so a dead runner's run says "stale". */
export function statusOf(run: Run): string {
  return run.state;
}

function progress(run: Run): string {
  const c = run.counts ?? {};
  const done = (c.succeeded ?? 0) + (c.failed ?? 0) + (c.skipped ?? 0);
  return c.total != null ? `${done}/${c.total}` : String(done);
}

/** Every run of a project, newest first. */
export function RunList({ project }: { project: string }) {
  const { value, error } = useAsync(() => api.runs(project), [project]);
  // Two runs ticked, in the order ticked: A (baseline) then B (candidate).
  const [picked, setPicked] = useState<string[]>([]);
  const toggle = (id: string) => setPicked(picked.includes(id) ? picked.filter((p) => p !== id) : [...picked, id].slice(-2));
  if (error) return <p class="error">{error}</p>;
  if (!value) return <p class="muted">loading…</p>;
  if (value.runs.length === 0) return <p class="muted">no runs</p>;
  return (
    <>
      <p class="toolbar">
        {picked.length === 2 ? (
          <a class="button" href={href({ view: "compare", project, a: picked[0]!, b: picked[1]! })}>
            compare the two ticked runs
          </a>
        ) : (
          <span class="muted">tick two runs to compare them</span>
        )}
      </p>
      <table class="runs">
        <thead>
          <tr>
            <th>compare</th>
            <th>run</th>
            <th>experiment</th>
            <th>status</th>
            <th>progress</th>
            <th>failed</th>
            <th>started</th>
          </tr>
        </thead>
        <tbody>
          {value.runs.map((run) => (
            <tr key={run.run_id}>
              <td>
                <input type="checkbox" aria-label={`compare ${run.run_id}`} checked={picked.includes(run.run_id)} onChange={() => toggle(run.run_id)} />
              </td>
              <td>
                <a href={href({ view: "run", project, run: run.run_id })}>{run.run_id}</a>
              </td>
              <td>{run.experiment}</td>
              <td>
                <span class={`status ${statusOf(run)}`}>{statusOf(run)}</span>
              </td>
              <td>{progress(run)}</td>
              <td>{cellText(run.counts?.failed)}</td>
              <td>{cellText(run.started_at)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

// Shown in their own sections; every other field of the record is listed generically, so
// fields the runs work adds (heartbeat, cancel reason, ...) appear without a UI change.
const SECTIONS = ["parameters", "provenance", "metrics", "counts"];

/** The live record of a run: Server-Sent Events while it runs, the final record after (an export: the record as exported). */
function useLiveRun(project: string, id: string): { run?: Run; error?: string } {
  const [state, setState] = useState<{ run?: Run; error?: string }>({});
  useEffect(() => {
    setState({});
    if (STATIC_EXPORT) {
      api.run(project, id).then(
        (run) => setState({ run }),
        (error: unknown) => setState({ error: (error as Error).message }),
      );
      return undefined;
    }
    const source = new EventSource(api.runEventsPath(project, id));
    source.addEventListener("run", (e) => setState({ run: JSON.parse((e as MessageEvent<string>).data) as Run }));
    source.addEventListener("error", (e) => {
      const data = (e as MessageEvent<string | undefined>).data;
      if (data) setState((s) => ({ ...s, error: (JSON.parse(data) as { message: string }).message }));
      // The server ends the stream when the run ends: do not reconnect.
      source.close();
    });
    return () => source.close();
  }, [project, id]);
  return state;
}

/** Metrics as a table: one row per metric, one column per statistic (any shape of summary). */
function Metrics({ metrics }: { metrics: Json | undefined }) {
  if (metrics === null || typeof metrics !== "object" || Array.isArray(metrics)) return <Fields value={metrics} />;
  const entries = Object.entries(metrics);
  const stats = [...new Set(entries.flatMap(([, v]) => (v !== null && typeof v === "object" && !Array.isArray(v) ? Object.keys(v) : ["value"])))];
  return (
    <table class="fields metrics">
      <thead>
        <tr>
          <th>metric</th>
          {stats.map((s) => (
            <th key={s}>{s}</th>
          ))}
        </tr>
      </thead>
      <tbody>
        {entries.map(([name, v]) => (
          <tr key={name}>
            <th>{name}</th>
            {stats.map((s) => (
              <td key={s}>{cellText(v !== null && typeof v === "object" && !Array.isArray(v) ? v[s] : s === "value" ? v : undefined)}</td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** One run: status (live), counts, parameters, provenance, metrics and every other field. */
export function RunView({ project, id }: { project: string; id: string }) {
  const { run, error } = useLiveRun(project, id);
  if (error) return <p class="error">{error}</p>;
  if (!run) return <p class="muted">loading…</p>;
  const rest = Object.fromEntries(Object.entries(run).filter(([k]) => !SECTIONS.includes(k) && k !== "_row_id")) as Json;
  return (
    <div class="run">
      <h2>
        <a href={href({ view: "project", project })}>{project}</a> / run {run.run_id}{" "}
        <span class={`status ${statusOf(run)}`} data-testid="run-status">
          {statusOf(run)}
        </span>
      </h2>
      <p>
        experiment <a href={href({ view: "table", project, kind: "experiments", table: run.experiment })}>{run.experiment}</a> · progress{" "}
        <strong data-testid="run-progress">{progress(run)}</strong>
      </p>
      <h3>counts</h3>
      <Fields value={(run.counts ?? null) as Json} />
      {run.metrics !== undefined ? (
        <>
          <h3>metrics</h3>
          <Metrics metrics={run.metrics} />
        </>
      ) : null}
      <h3>parameters</h3>
      <Fields value={run.parameters ?? null} />
      <h3>provenance</h3>
      <Fields value={run.provenance ?? null} />
      <h3>record</h3>
      <Fields value={rest} />
    </div>
  );
}
