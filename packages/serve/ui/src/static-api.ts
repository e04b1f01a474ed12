// The API of the served app, answered from the data files of a static export.
import { type ExportCompare, type ExportIndex, type ExportProject, type ExportTable, compareSlot, tableSlot } from "../../src/export-format.js";
import type { Api, ComparedRow, ComparePage, Kind, ViewQuery } from "./api.js";
import { loadData } from "./static-data.js";
import { StaticTable } from "./static-table.js";

/** Each data file once: they do not change while the page is open. */
const loaded = new Map<string, Promise<unknown>>();
function once<T>(key: string, load: () => Promise<T>): Promise<T> {
  let value = loaded.get(key) as Promise<T> | undefined;
  if (!value) {
    value = load();
    loaded.set(key, value);
  }
  return value;
}

async function project(name: string): Promise<ExportProject> {
  const index = await once("index", () => loadData<ExportIndex>("index"));
  const entry = index.projects.find((p) => p.name === name);
  if (!entry) throw new Error(`project "${name}" is not in this export`);
  return once(`${entry.key}/project`, () => loadData<ExportProject>(`${entry.key}/project`));
}

async function table(p: string, kind: Kind, name: string): Promise<StaticTable> {
  const key = (await project(p)).tables[tableSlot(kind, name)];
  if (key === undefined) throw new Error(`${kind.slice(0, -1)} "${name}" is not in this export`);
  return once(`table ${key}`, async () => new StaticTable(key, await loadData<ExportTable>(`${key}/meta`)));
}

async function compare(p: string, a: string, b: string, changedOnly: boolean, offset: number, limit: number): Promise<ComparePage> {
  const key = (await project(p)).compares[compareSlot(a, b)];
  if (key === undefined)
    throw new Error(`this export has no comparison of ${a} with ${b} (it holds those of runs of the same dataset, newest first, up to a limit)`);
  const meta = await once(`${key}/meta`, () => loadData<ExportCompare>(`${key}/meta`));
  const total = changedOnly ? meta.changed : meta.total;
  const rows: ComparedRow[] = [];
  const end = Math.min(offset + limit, total);
  for (let n = Math.floor(offset / meta.pageRows); n * meta.pageRows < end; n++) {
    const page = await loadData<ComparedRow[]>(`${key}/${changedOnly ? "changed" : "all"}-${n}`);
    page.forEach((row, i) => {
      const at = n * meta.pageRows + i;
      if (at >= offset && at < end) rows.push(row);
    });
  }
  return { comparison: meta.comparison, total, changed: meta.changed, offset, rows };
}

/** The served app's API, read from an export's files (read-only, no live events). */
export const staticApi: Api = {
  projects: async () => ({ projects: (await once("index", () => loadData<ExportIndex>("index"))).projects.map((p) => p.name) }),
  project: async (p) => {
    const { name, datasets, experiments } = await project(p);
    return { name, datasets, experiments };
  },
  rows: async (p, k, t, q: ViewQuery, offset, limit) => (await table(p, k, t)).rows(q, offset, limit),
  row: async (p, k, t, id) => (await table(p, k, t)).row(id),
  runs: async (p) => ({ runs: (await project(p)).runs as unknown as Awaited<ReturnType<Api["runs"]>>["runs"] }),
  run: async (p, id) => {
    const run = (await project(p)).runs.find((r) => r.run_id === id);
    if (!run) throw new Error(`run "${id}" is not in this export`);
    return run as unknown as Awaited<ReturnType<Api["run"]>>;
  },
  compare,
  // Never asked for: an export shows a run as exported, without live events (see runs.tsx).
  runEventsPath: () => "",
};
