import { copyFile, mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { TableKind } from "@themis/core";
import { Catalog, type ShownRun } from "./catalog.js";
import { writeExportDir } from "./export-dir.js";
import { EXPORT_FORMAT, type ExportCompare, type ExportIndex, type ExportProject, type ExportTable, compareSlot, tableSlot } from "./export-format.js";
import { type StorageSpec, openStorage } from "./open-storage.js";
import { Columns } from "./row-query.js";

/** Options of {@link exportSite}. */
export interface ExportOptions extends StorageSpec {
  /** The folder to write: must not exist, or be empty. */
  dir: string;
  /** Export only this project (default: every project on the storage). */
  project?: string;
  /** Rows per page file of a table (default 500): the most rows the page reads at once. */
  pageRows?: number;
  /** The most run comparisons written per project (default 20; each is A vs B of two runs of one dataset, newest runs first). */
  maxComparisons?: number;
}

/** What an export wrote. */
export interface ExportSummary {
  /** The folder (absolute) and the page to open. */
  dir: string;
  url: string;
  projects: number;
  tables: number;
  rows: number;
  runs: number;
  comparisons: number;
  files: number;
  bytes: number;
}

/** Where `vite build` put the export flavour of the UI (see ui/vite.export.config.ts). */
const EXPORT_UI_DIR = fileURLToPath(new URL(import.meta.url.endsWith(".ts") ? "../dist/ui-export/" : "./ui-export/", import.meta.url));
/** Joined rows per page file of a comparison: the compare view's page. */
const COMPARE_PAGE_ROWS = 200;

// A page from disk has no server to send headers: the policy is a meta element. Scripts and
// styles only from files ('self' is the export's own folder on file://), no network at all.
const INDEX_HTML = `<!doctype html>
<html lang="en" data-themis="export">
  <head>
    <meta charset="utf-8" />
    <meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'none'; base-uri 'none'; form-action 'none'" />
    <meta name="referrer" content="no-referrer" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>Themis (export)</title>
    <link rel="stylesheet" href="assets/app.css" />
  </head>
  <body>
    <div id="app"></div>
    <script src="assets/app.js"></script>
  </body>
</html>
`;

/** Writes `data/KEY.js` files: one `__themisData(key, value)` call each (see ui/src/static-data.ts). */
class DataWriter {
  files = 0;
  bytes = 0;
  readonly #root: string;
  readonly #dirs = new Set<string>();

  constructor(root: string) {
    this.#root = root;
  }

  async write(key: string, value: unknown): Promise<void> {
    // JSON is a JavaScript literal (ES2019 allows U+2028/9 in strings): the data is never markup here.
    const text = `__themisData(${JSON.stringify(key)},${JSON.stringify(value)});\n`;
    const file = path.join(this.#root, "data", `${key}.js`);
    const dir = path.dirname(file);
    if (!this.#dirs.has(dir)) {
      await mkdir(dir, { recursive: true });
      this.#dirs.add(dir);
    }
    await writeFile(file, text);
    this.files++;
    this.bytes += Buffer.byteLength(text);
  }
}

/** Rows of an async iterable in pages of `size` written as `KEY/0`, `KEY/1`, …; returns the row count and page count. */
async function writePages<T>(
  out: DataWriter,
  key: string,
  items: AsyncIterable<T> | Iterable<T>,
  size: number,
  seen?: (item: T) => void,
): Promise<{ total: number; pages: number }> {
  let page: T[] = [];
  let total = 0;
  let pages = 0;
  for await (const item of items) {
    seen?.(item);
    page.push(item);
    total++;
    if (page.length === size) {
      await out.write(`${key}${pages++}`, page);
      page = [];
    }
  }
  if (page.length > 0) await out.write(`${key}${pages++}`, page);
  return { total, pages };
}

/** Ordered pairs (A, B) of runs of the same dataset, newest runs first, at most `max`. */
function comparablePairs(runs: ShownRun[], max: number): [string, string][] {
  const pairs: [string, string][] = [];
  for (const a of runs) {
    for (const b of runs) {
      if (pairs.length >= max) return pairs;
      if (a !== b && a.dataset === b.dataset) pairs.push([a.run_id, b.run_id]);
    }
  }
  return pairs;
}

/** What one project added to the export. */
interface Counts {
  tables: number;
  rows: number;
  runs: number;
  comparisons: number;
}

/** One project's tables (as page files), runs and comparisons, and its `pN/project` file. */
async function writeProject(
  catalog: Catalog,
  out: DataWriter,
  name: string,
  key: string,
  options: { pageRows: number; maxComparisons: number },
): Promise<Counts> {
  const counts: Counts = { tables: 0, rows: 0, runs: 0, comparisons: 0 };
  const summary = await catalog.project(name);
  const shown: ExportProject = { ...summary, tables: {}, runs: await catalog.runs(name), compares: {} };
  const tables = [
    ...summary.datasets.map((t) => ["dataset", "datasets", t] as const),
    ...summary.experiments.map((t) => ["experiment", "experiments", t] as const),
  ] satisfies (readonly [TableKind, string, string])[];
  for (const [kind, plural, table] of tables) {
    const tkey = `${key}/t${counts.tables++}`;
    const columns = new Columns();
    const rows = (await catalog.table(name, kind, table)).entries();
    const written = await writePages(out, `${tkey}/`, rows, options.pageRows, (row) => columns.note(row));
    await out.write(`${tkey}/meta`, { total: written.total, columns: columns.list(), pageRows: options.pageRows, pages: written.pages } satisfies ExportTable);
    shown.tables[tableSlot(plural, table)] = tkey;
    counts.rows += written.total;
  }
  counts.runs = shown.runs.length;
  for (const [a, b] of comparablePairs(shown.runs, options.maxComparisons)) {
    // A run without results (or a record core cannot compare) is left out: the page says so.
    const joined = await catalog.joined(name, a, b).catch(() => undefined);
    if (!joined) continue;
    const ckey = `${key}/c${counts.comparisons++}`;
    const changed = joined.rows.filter((r) => r.changed);
    await writePages(out, `${ckey}/all-`, joined.rows, COMPARE_PAGE_ROWS);
    await writePages(out, `${ckey}/changed-`, changed, COMPARE_PAGE_ROWS);
    await out.write(`${ckey}/meta`, {
      comparison: joined.comparison,
      total: joined.rows.length,
      changed: changed.length,
      pageRows: COMPARE_PAGE_ROWS,
    } satisfies ExportCompare);
    shown.compares[compareSlot(a, b)] = ckey;
  }
  await out.write(`${key}/project`, shown);
  return counts;
}

/** The export's UI: the page, its script and its styles. */
async function writeUi(dir: string): Promise<void> {
  await mkdir(path.join(dir, "assets"));
  await copyFile(path.join(EXPORT_UI_DIR, "app.mjs"), path.join(dir, "assets", "app.js"));
  await copyFile(path.join(EXPORT_UI_DIR, "app.css"), path.join(dir, "assets", "app.css"));
  await writeFile(path.join(dir, "index.html"), INDEX_HTML);
}

/**
 * Write a static, read-only snapshot of projects into a new folder: the UI (a classic
 * script, no server) and the data it shows, as page files, so a 100k-row table is never
 * read in one go. Open `DIR/index.html` from disk; nothing is fetched from the network.
 * The folder must not exist or be empty; it is written all or nothing.
 *
 * @example
 * const done = await exportSite({ storage: "local/csv", config: { rootDir: "./data" }, dir: "./snapshot" });
 * console.log(done.url); // file:///…/snapshot/index.html
 */
export async function exportSite(options: ExportOptions): Promise<ExportSummary> {
  const settings = { pageRows: options.pageRows ?? 500, maxComparisons: options.maxComparisons ?? 20 };
  const { storage, owned } = await openStorage(options);
  const catalog = new Catalog(storage, options.project);
  try {
    // A named project that does not exist fails here, before any folder is made.
    if (options.project !== undefined) await catalog.project(options.project);
    const dir = path.resolve(options.dir);
    const totals = await writeExportDir(dir, async (staging) => {
      await writeUi(staging);
      const out = new DataWriter(staging);
      const sum: Counts = { tables: 0, rows: 0, runs: 0, comparisons: 0 };
      const index: ExportIndex = { format: EXPORT_FORMAT, exportedAt: new Date().toISOString(), projects: [] };
      for (const name of await catalog.projectNames()) {
        const key = `p${index.projects.length}`;
        index.projects.push({ name, key });
        const counts = await writeProject(catalog, out, name, key, settings);
        for (const k of Object.keys(sum) as (keyof Counts)[]) sum[k] += counts[k];
      }
      await out.write("index", index);
      return { projects: index.projects.length, ...sum, files: out.files + 3, bytes: out.bytes };
    });
    return { dir, url: pathToFileURL(path.join(dir, "index.html")).href, ...totals };
  } finally {
    await catalog.close();
    if (owned) await storage.close();
  }
}
