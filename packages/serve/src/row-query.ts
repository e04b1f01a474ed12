import { ROW_ID, type StoredRow } from "@themis/core";
import { HttpError } from "./http-error.js";
import { SortIndex } from "./sort-index.js";
import { type Snapshot, type SnapshotCache, VALUE_SEPARATOR } from "./table-snapshot.js";
import { valueText } from "./value-text.js";
import type { ViewCache, ViewFacts } from "./view-cache.js";

/** What a table view asks for: a page of the rows matching a text filter, in an order. */
export interface RowQuery {
  offset: number;
  limit: number;
  /** Case-insensitive text to find in the row's values (or in `column` only). */
  filter?: string;
  column?: string;
  sort?: string;
  desc?: boolean;
}

/** A page of rows and what the view needs to draw the rest. */
export interface RowPage {
  rows: StoredRow[];
  /** Rows matching the filter (the whole table when there is none). */
  total: number;
  /** Every key seen in the table, `_row_id` first, at most {@link MAX_COLUMNS}. */
  columns: string[];
  /**
   * True when the table is still being read: `total` is then only the rows seen so far
   * (ask again for the count). Only pages of an unsorted view (filtered or not) of a table
   * still being read answer so, once the rows read so far hold the whole page.
   */
  partial?: boolean;
}

/** The most rows one page may hold. */
export const MAX_PAGE = 500;
/** Columns reported for one table (a wider table shows its first ones). */
export const MAX_COLUMNS = 500;

/** A predicate for the query's filter (everything when there is none). */
export function rowFilter(query: Pick<RowQuery, "filter" | "column">): (row: StoredRow) => boolean {
  const needle = query.filter?.toLowerCase();
  if (!needle) return () => true;
  const column = query.column;
  if (column)
    return (row) =>
      valueText((row as Record<string, unknown>)[column])
        .toLowerCase()
        .includes(needle);
  return (row) => {
    for (const value of Object.values(row)) if (valueText(value).toLowerCase().includes(needle)) return true;
    return false;
  };
}

/**
 * Answer a query. With `snapshots`, from the table's snapshot ({@link SnapshotCache}): at
 * once when it is held; for a page in table order (filtered or not), as soon as the rows
 * read so far hold it (`partial`);
 * otherwise once the table is read. Without (or when the table does not fit), by streaming
 * the table, never loading it whole. Unsorted: one pass that
 * counts matches and keeps only the page (with the count cached, the pass stops at the
 * page). Sorted: a first pass builds a {@link SortIndex} of (sort key, row id) for the
 * matching rows (bounded, see there), kept in `cache`; each page is then one pass that
 * fetches its rows by id. Memory is O(page + matching rows' keys), never O(table rows).
 *
 * @param key identifies the table in `cache` (the view's filter and order are added).
 */
export async function queryRows(
  rows: () => AsyncIterable<StoredRow>,
  query: RowQuery,
  cache?: ViewCache,
  key = "",
  snapshots?: SnapshotCache,
): Promise<RowPage> {
  if (query.limit > MAX_PAGE) throw new HttpError(400, "ERR_SERVE_BAD_QUERY", `limit is at most ${MAX_PAGE}`);
  if (snapshots && !query.filter?.includes(VALUE_SEPARATOR)) {
    const now = snapshots.peek(key, rows);
    if (now !== "none" && now.complete) return snapshotPage(now, query, cache, key);
    if (now !== "none" && query.sort === undefined) {
      // Table order needs no count to show a page: once the rows read so far hold the page
      // (and one more match after it), the page is final and only the count is unknown.
      const end = query.offset + query.limit;
      if (!query.filter) await now.reached(end + 1);
      const positions = query.filter ? snapshotView(now, query) : undefined;
      if (now.complete || (positions?.length ?? now.rows.length) > end) return { ...pageOf(now, positions, query), ...(now.complete ? {} : { partial: true }) };
    }
    const built = now === "none" ? undefined : await snapshots.get(key, rows);
    if (built) return snapshotPage(built, query, cache, key);
  }
  const viewKey = viewKeyOf(key, query);
  const known = cache?.get(viewKey);
  const end = query.offset + query.limit;
  if (query.sort !== undefined) {
    const facts = known ?? (await sortedFacts(rows, query));
    if (!known) cache?.set(viewKey, facts);
    return { rows: await fetchByIds(rows, facts.order!.slice(query.offset, end)), total: facts.total, columns: facts.columns };
  }
  const matches = rowFilter(query);
  const columns = new Columns();
  const page: StoredRow[] = [];
  let total = 0;
  for await (const row of rows()) {
    if (!known) columns.note(row);
    if (!matches(row)) continue;
    if (total >= query.offset && total < end) page.push(row);
    total++;
    // With the count known, stop once the page is full or every known match was seen.
    if (known && (total >= end || total >= known.total)) break;
  }
  const facts = known ?? { total, columns: columns.list() };
  if (!known) cache?.set(viewKey, facts);
  return { rows: page, total: facts.total, columns: facts.columns };
}

const viewKeyOf = (key: string, query: RowQuery, generation?: number): string =>
  JSON.stringify([key, generation, query.filter, query.column, query.sort, query.desc === true]);

/** A page of a query over a table snapshot: the view (matching positions, in order) is computed once and cached. */
function snapshotPage(snap: Snapshot, query: RowQuery, cache: ViewCache | undefined, key: string): RowPage {
  let positions: Uint32Array | undefined;
  if (query.filter || query.sort !== undefined) {
    const viewKey = viewKeyOf(key, query, snap.generation);
    positions = cache?.get(viewKey)?.positions;
    if (!positions) {
      positions = snapshotView(snap, query);
      cache?.set(viewKey, { total: positions.length, columns: snap.columns, positions });
    }
  }
  return pageOf(snap, positions, query);
}

/** The query's page of a view of a snapshot (`positions`: the view's rows in order; undefined: every row in table order). */
function pageOf(snap: Snapshot, positions: Uint32Array | undefined, query: RowQuery): RowPage {
  const total = positions ? positions.length : snap.rows.length;
  const rows: StoredRow[] = [];
  for (let i = query.offset; i < Math.min(query.offset + query.limit, total); i++) {
    rows.push(snap.rows[positions ? (positions[i] as number) : i] as StoredRow);
  }
  return { rows, total, columns: snap.columns };
}

/** Positions of the snapshot's rows (those read so far) that match the query, in its order. */
function snapshotView(snap: Snapshot, query: Omit<RowQuery, "offset" | "limit">): Uint32Array {
  const needle = query.filter?.toLowerCase() ?? "";
  const inColumn = query.column ? rowFilter(query) : undefined;
  const found: number[] = [];
  for (let i = 0; i < snap.text.length; i++) {
    // Any value holding the text contains it in the row's joined text: a cheap test first.
    if (needle && !(snap.text[i] as string).includes(needle)) continue;
    if (inColumn && !inColumn(snap.rows[i] as StoredRow)) continue;
    found.push(i);
  }
  if (query.sort === undefined) return Uint32Array.from(found);
  const index = new SortIndex(query.sort);
  for (const p of found) index.add(snap.rows[p] as StoredRow);
  return index.order(query.desc === true).map((i) => found[i] as number);
}

/** Every key seen in a table, `_row_id` first, at most `max` (the API's answers stay small). */
export class Columns {
  readonly #keys = new Set<string>([ROW_ID]);
  readonly #max: number;

  constructor(max = MAX_COLUMNS) {
    this.#max = max;
  }

  note(row: StoredRow): void {
    if (this.#keys.size >= this.#max) return;
    for (const key of Object.keys(row)) this.#keys.add(key);
  }

  list(): string[] {
    return [...this.#keys].slice(0, this.#max);
  }
}

/** One pass: the matching rows' order by the query's sort column, their count and the table's columns. */
export async function sortedFacts(
  rows: () => AsyncIterable<StoredRow>,
  query: Omit<RowQuery, "offset" | "limit">,
  maxColumns = MAX_COLUMNS,
): Promise<ViewFacts> {
  const matches = rowFilter(query);
  const columns = new Columns(maxColumns);
  const index = new SortIndex(query.sort!);
  for await (const row of rows()) {
    columns.note(row);
    if (matches(row)) index.add(row);
  }
  return { total: index.size, columns: columns.list(), order: index.slice(0, index.size, query.desc === true) };
}

/** The rows with these ids, in this order, from one pass that stops once all are found. */
export async function fetchByIds(rows: () => AsyncIterable<StoredRow>, ids: readonly string[]): Promise<StoredRow[]> {
  const wanted = new Map<string, StoredRow | undefined>(ids.map((id) => [id, undefined]));
  let missing = wanted.size;
  if (missing === 0) return [];
  for await (const row of rows()) {
    if (wanted.has(row[ROW_ID]) && wanted.get(row[ROW_ID]) === undefined) {
      wanted.set(row[ROW_ID], row);
      if (--missing === 0) break;
    }
  }
  // A row deleted between the passes is left out rather than shown as a hole.
  return ids.map((id) => wanted.get(id)).filter((r): r is StoredRow => r !== undefined);
}
