import type { ExportTable } from "../../src/export-format.js";
import { valueText } from "../../src/value-text.js";
import type { Json, Row, RowPage, ViewQuery } from "./api.js";
import { loadData } from "./static-data.js";

/** Page files kept in memory (a page file holds `pageRows` rows, 500 by default). */
const CACHED_PAGES = 16;
/** Page files read at once while scanning a table for a filter or a sort. */
const SCAN_AHEAD = 4;
/** Text sort keys compare on their first characters only, as on the server. */
const SORT_KEY_CHARS = 128;

/** A value's sort class, as the server's sort index: numbers (and booleans) first, then text, missing last. */
function sortKey(value: Json | undefined): [number, number, string] {
  if (value === undefined || value === null || value === "") return [2, 0, ""];
  if (typeof value === "number") return [0, value, ""];
  if (typeof value === "boolean") return [0, value ? 1 : 0, ""];
  return [1, 0, valueText(value).slice(0, SORT_KEY_CHARS)];
}

/** A row's values as one lower-cased text, as the server's snapshot keeps them: the filter searches it. */
const rowText = (row: Row): string => Object.values(row).map(valueText).join("\u0000").toLowerCase();

/**
 * One table of a static export, read page file by page file: the page shows a window of
 * rows, so only the page files of that window are read (and a few kept). A filter or a sort
 * reads every page file once, in order, keeping each matching row's position and sort key
 * and every row's lower-cased text (never the rows); the last view is kept, and later
 * filters search the kept texts without reading the files again.
 */
export class StaticTable {
  readonly #key: string;
  readonly #meta: ExportTable;
  readonly #pages = new Map<number, Promise<Row[]>>();
  #view: { key: string; positions: Uint32Array } | undefined;
  /** Every row's text, kept from the first full read (a later filter reads no page file). */
  #texts: string[] | undefined;

  constructor(key: string, meta: ExportTable) {
    this.#key = key;
    this.#meta = meta;
  }

  #page(n: number): Promise<Row[]> {
    let page = this.#pages.get(n);
    if (page)
      this.#pages.delete(n); // most recently used last
    else page = loadData<Row[]>(`${this.#key}/${n}`);
    this.#pages.set(n, page);
    page.catch(() => this.#pages.delete(n));
    while (this.#pages.size > CACHED_PAGES) this.#pages.delete(this.#pages.keys().next().value as number);
    return page;
  }

  /** Positions (in table order) of the rows a query shows, in its order; undefined: every row as stored. */
  async #positions(query: ViewQuery): Promise<Uint32Array | undefined> {
    if (!query.filter && query.sort === undefined) return undefined;
    const key = JSON.stringify(query);
    if (this.#view?.key === key) return this.#view.positions;
    const needle = query.filter.toLowerCase();
    // The texts join values with NUL: a filter holding one is tested value by value, on the rows.
    const exact = needle.includes("\u0000");
    const matches = (text: string, row?: Row): boolean =>
      exact ? Object.values(row ?? {}).some((v) => valueText(v).toLowerCase().includes(needle)) : text.includes(needle);
    const sort = query.sort;
    const found: number[] = [];
    const keys: [number, number, string][] = [];
    if (sort === undefined && !exact && this.#texts) {
      this.#texts.forEach((t, i) => {
        if (matches(t)) found.push(i);
      });
    } else {
      const texts: string[] = [];
      const { pages, pageRows } = this.#meta;
      for (let n = 0; n < pages; n++) {
        for (let k = n + 1; k < Math.min(n + SCAN_AHEAD, pages); k++) void this.#page(k); // read ahead
        const rows = await this.#page(n);
        rows.forEach((row, i) => {
          const text = this.#texts?.[n * pageRows + i] ?? rowText(row);
          texts.push(text);
          if (needle && !matches(text, row)) return;
          found.push(n * pageRows + i);
          if (sort !== undefined) keys.push(sortKey(row[sort]));
        });
      }
      this.#texts ??= texts;
    }
    const order = Uint32Array.from(found.keys());
    if (sort !== undefined) {
      const sign = query.desc ? -1 : 1;
      order.sort((a, b) => {
        const [ca, na, ta] = keys[a] as [number, number, string];
        const [cb, nb, tb] = keys[b] as [number, number, string];
        if (ca !== cb) return ca === 2 ? 1 : cb === 2 ? -1 : sign * (ca - cb);
        if (ca === 0 && na !== nb) return sign * (na - nb);
        if (ca === 1 && ta !== tb) return sign * (ta < tb ? -1 : 1);
        return a - b; // ties keep table order
      });
    }
    const positions = order.map((i) => found[i] as number);
    this.#view = { key, positions };
    return positions;
  }

  /** A window of the query's rows, as the API's `rows` route answers it. */
  async rows(query: ViewQuery, offset: number, limit: number): Promise<RowPage> {
    const positions = await this.#positions(query);
    const total = positions ? positions.length : this.#meta.total;
    const wanted: number[] = [];
    for (let i = offset; i < Math.min(offset + limit, total); i++) wanted.push(positions ? (positions[i] as number) : i);
    const { pageRows } = this.#meta;
    const pages = new Map<number, Row[]>();
    await Promise.all([...new Set(wanted.map((p) => Math.floor(p / pageRows)))].map(async (n) => pages.set(n, await this.#page(n))));
    const rows = wanted.map((p) => pages.get(Math.floor(p / pageRows))?.[p % pageRows]).filter((r): r is Row => r !== undefined);
    return { rows, total, columns: this.#meta.columns };
  }

  /** The row with this id: looked for in the page files in memory first, then in every one. */
  async row(id: string): Promise<Row> {
    const cached = [...this.#pages.keys()];
    const rest = Array.from({ length: this.#meta.pages }, (_, n) => n).filter((n) => !cached.includes(n));
    for (const n of [...cached, ...rest]) {
      const row = (await this.#page(n)).find((r) => r._row_id === id);
      if (row) return row;
    }
    throw new Error(`no row "${id}" in this export`);
  }
}
