import { ROW_ID, type StoredRow } from "@themis/core";
import { quoteCell } from "@themis/csv-codec";
import { type RowQuery, fetchByIds, rowFilter, sortedFacts } from "./row-query.js";
import { valueText } from "./value-text.js";

/** Formats of the export endpoint. */
export type ExportFormat = "csv" | "jsonl";

/** Rows fetched per pass when exporting in a sorted order (bounds memory to one chunk). */
const SORTED_CHUNK = 25_000;

/**
 * Every row of a view (the query's filter and order, no paging), streamed: JSON Lines
 * (exact) or CSV (a header of every key, `_row_id` first; nested values as JSON text).
 * Unsorted: a pass for the columns (CSV only) and a pass for the rows. Sorted: a pass for
 * the sort order, then one pass per {@link SORTED_CHUNK} rows (the rows of one chunk are
 * the most held in memory).
 */
export async function* exportLines(
  rows: () => AsyncIterable<StoredRow>,
  query: Omit<RowQuery, "offset" | "limit">,
  format: ExportFormat,
): AsyncGenerator<string> {
  const matches = rowFilter(query);
  let header: string[] = [ROW_ID];
  let ordered: string[] | undefined;
  if (query.sort !== undefined) {
    const facts = await sortedFacts(rows, query, Infinity);
    [header, ordered] = [facts.columns, facts.order];
  } else if (format === "csv") {
    const columns = new Set<string>(header);
    for await (const row of rows()) if (matches(row)) for (const key of Object.keys(row)) columns.add(key);
    header = [...columns];
  }
  const line =
    format === "jsonl"
      ? (row: StoredRow) => `${JSON.stringify(row)}\n`
      : (row: StoredRow) => `${header.map((c) => quoteCell(valueText((row as Record<string, unknown>)[c]))).join(",")}\r\n`;
  if (format === "csv") yield `${header.map(quoteCell).join(",")}\r\n`;
  if (ordered === undefined) {
    for await (const row of rows()) if (matches(row)) yield line(row);
    return;
  }
  for (let i = 0; i < ordered.length; i += SORTED_CHUNK) {
    for (const row of await fetchByIds(rows, ordered.slice(i, i + SORTED_CHUNK))) yield line(row);
  }
}
