import { useEffect, useRef, useState } from "preact/hooks";
import { type Kind, type Row, type ViewQuery, api, queryString, tablePath } from "./api.js";
import { STATIC_EXPORT } from "./mode.js";
import { href } from "./route.js";
import { useRowPages } from "./row-pages.js";
import { useAsync } from "./use-async.js";
import { ROW_HEIGHT, useVirtual } from "./use-virtual.js";
import { FullValue, cellText } from "./value.js";

const DEFAULT_COLUMNS = 8;

/** A dataset or experiment of any size: virtualised rows, column picker, sort, filter, export, row panel. */
export function TableView({ project, kind, table }: { project: string; kind: Kind; table: string }) {
  const [filterText, setFilterText] = useState("");
  const [query, setQuery] = useState<ViewQuery>({ filter: "", sort: undefined, desc: false });
  const [hidden, setHidden] = useState<Set<string> | undefined>();
  const [selected, setSelected] = useState<string | undefined>();
  const { meta, rowAt } = useRowPages(project, kind, table, query);
  const scroller = useRef<HTMLDivElement>(null);
  const virtual = useVirtual(meta?.total ?? 0, () => scroller.current);

  // The filter is sent once typing pauses, not on every key.
  useEffect(() => {
    const t = setTimeout(() => setQuery((q) => (q.filter === filterText ? q : { ...q, filter: filterText })), 250);
    return () => clearTimeout(t);
  }, [filterText]);
  useEffect(() => virtual.scrollToOffset(0), [query]);

  const columns = meta?.columns ?? [];
  const hiddenCols = hidden ?? new Set(columns.slice(DEFAULT_COLUMNS));
  const shown = columns.filter((c) => !hiddenCols.has(c));
  const sortBy = (c: string) =>
    setQuery((q) => (q.sort !== c ? { ...q, sort: c, desc: false } : q.desc ? { ...q, sort: undefined, desc: false } : { ...q, desc: true }));
  const template = `repeat(${Math.max(shown.length, 1)}, minmax(8rem, 1fr))`;

  return (
    <div class="table-view">
      <header class="toolbar">
        <a href={href({ view: "project", project })}>{project}</a> / <strong>{table}</strong>
        <span class="muted"> {kind.slice(0, -1)}</span>
        <input type="search" placeholder="filter rows…" aria-label="filter" value={filterText} onInput={(e) => setFilterText(e.currentTarget.value)} />
        <ColumnPicker columns={columns} hidden={hiddenCols} onChange={setHidden} />
        {/* An export has no server to stream a view from. */}
        {(STATIC_EXPORT ? [] : (["csv", "jsonl"] as const)).map((format) => (
          <a key={format} class="button" href={`${tablePath(project, kind, table)}/export?${queryString(query, { format })}`}>
            {format.toUpperCase()}
          </a>
        ))}
        <span class="count" data-testid="total">
          {!meta ? "loading…" : meta.counting ? `${meta.total.toLocaleString("en")}+ rows (counting…)` : `${meta.total.toLocaleString("en")} rows`}
        </span>
      </header>
      {meta?.error ? <p class="error">{meta.error}</p> : null}
      <div class="grid-head" style={{ gridTemplateColumns: template }}>
        {shown.map((c) => (
          <button type="button" key={c} class="th" data-col={c} onClick={() => sortBy(c)}>
            {c}
            {query.sort === c ? (query.desc ? " ▼" : " ▲") : ""}
          </button>
        ))}
      </div>
      <div class="scroller" ref={scroller} data-testid="scroller">
        <div style={{ height: `${virtual.getTotalSize()}px`, position: "relative" }}>
          {virtual.getVirtualItems().map((item) => {
            const row = rowAt(item.index);
            return (
              // biome-ignore lint/a11y/useSemanticElements: a virtualised grid row (absolutely placed, cells as spans), focusable and selectable with Enter
              <div
                key={item.index}
                class={`tr${row && row._row_id === selected ? " selected" : ""}`}
                data-index={item.index}
                style={{ gridTemplateColumns: template, height: `${ROW_HEIGHT}px`, transform: `translateY(${item.start}px)` }}
                role="button"
                tabIndex={0}
                onClick={() => row && setSelected(row._row_id)}
                onKeyDown={(e) => e.key === "Enter" && row && setSelected(row._row_id)}
              >
                {row ? (
                  shown.map((c) => (
                    <span key={c} class="td">
                      {cellText(row[c])}
                    </span>
                  ))
                ) : (
                  <span class="td muted">…</span>
                )}
              </div>
            );
          })}
        </div>
      </div>
      {selected !== undefined ? <RowPanel project={project} kind={kind} table={table} id={selected} onClose={() => setSelected(undefined)} /> : null}
    </div>
  );
}

/** Which columns the table shows: a checkbox per column. */
function ColumnPicker({ columns, hidden, onChange }: { columns: string[]; hidden: Set<string>; onChange: (hidden: Set<string>) => void }) {
  const toggle = (c: string) => {
    const next = new Set(hidden);
    if (next.has(c)) next.delete(c);
    else next.add(c);
    onChange(next);
  };
  return (
    <details class="picker">
      <summary>
        columns ({columns.length - hidden.size}/{columns.length})
      </summary>
      {columns.map((c) => (
        <label key={c}>
          <input type="checkbox" checked={!hidden.has(c)} onChange={() => toggle(c)} /> {c}
        </label>
      ))}
    </details>
  );
}

/** One row in full, in a side panel: every field, long text wrapped, nested values indented. */
function RowPanel({ project, kind, table, id, onClose }: { project: string; kind: Kind; table: string; id: string; onClose: () => void }) {
  const { value, error } = useAsync<Row>(() => api.row(project, kind, table, id), [project, kind, table, id]);
  return (
    <aside class="panel" data-testid="row-panel">
      <header>
        <strong>{id}</strong>
        <button type="button" onClick={onClose} aria-label="close">
          ×
        </button>
      </header>
      {error ? <p class="error">{error}</p> : null}
      {value
        ? Object.entries(value).map(([k, v]) => (
            <section key={k}>
              <h4>{k}</h4>
              <FullValue value={v} />
            </section>
          ))
        : null}
    </aside>
  );
}
