import { isDeepStrictEqual } from "node:util";
import { NotFoundError, ROW_ID, type StoredRow } from "@themis/core";
import { encodeRecord, headerFor, parseCsv, quoteCell } from "@themis/csv-codec";
import { BACKEND_NAME } from "./errors.js";
import { recordEnd, recordSpans } from "./record-scan.js";
import type { Applied, TableChange, TableContent } from "./table-changes.js";

/**
 * Updates and deletes applied to a table's CSV text directly: the records they touch are
 * found by one quote-aware scan and replaced or cut out, so no other row is parsed or
 * built. Memory: the old text and the new one (a table is one Box upload of at most 50 MB),
 * instead of every row as an object (several times the file's size).
 *
 * Undefined when this shortcut does not apply and {@link applyChanges} does the general
 * rewrite: the batch appends, an update brings a column the file lacks, or a record the
 * scan found does not parse back as the row expected there (a hand-edited file with quotes
 * the scan reads differently from the parser).
 */
export function editText(base: TableContent, changes: readonly TableChange[]): Applied | undefined {
  if (base.text.length === 0) return undefined;
  const failures = new Map<number, Error>();
  // Position in the stored file → its id and what ends there: a row (updated) or null (deleted).
  const edits = new Map<number, { id: string; row: StoredRow | null }>();
  for (const [position, change] of changes.entries()) {
    if (change.kind === "append") return undefined;
    const row = change.kind === "update" ? change.row : null;
    const id = change.kind === "update" ? change.row._row_id : change.id;
    const at = base.index.get(id);
    if (at === undefined || edits.get(at)?.row === null) {
      failures.set(position, new NotFoundError(`no row with ${ROW_ID} "${id}"`, { backend: BACKEND_NAME }));
      continue;
    }
    if (row && headerFor([row], base.header) !== base.header) return undefined;
    edits.set(at, { id, row });
  }
  const spans = recordSpans(base.text, new Set(edits.keys()));
  const headerText = base.text.slice(0, recordEnd(base.text, 0));
  const found: { at: number; start: number; end: number; row: StoredRow | null }[] = [];
  for (const [at, { id, row }] of edits) {
    const span = spans.get(at);
    const stored = span && parseRecord(headerText + base.text.slice(span[0], span[1]));
    if (!span || !stored || stored._row_id !== id) return undefined;
    // An update to what is stored already changes nothing (no new version for it).
    if (!(row && isDeepStrictEqual(stored, row))) found.push({ at, start: span[0], end: span[1], row });
  }
  if (found.length === 0) return { changed: false, content: base, failures };

  found.sort((a, b) => a.at - b.at);
  const pieces: string[] = [];
  let from = 0;
  for (const { start, end, row } of found) {
    pieces.push(base.text.slice(from, start));
    if (row) pieces.push(recordText(row, base.header) + base.newline);
    from = end;
  }
  pieces.push(base.text.slice(from));
  const deleted = found.filter((f) => f.row === null).map((f) => f.at);
  const index = deleted.length > 0 ? base.index.without(deleted) : base.index;
  return { changed: true, content: { header: base.header, text: pieces.join(""), newline: base.newline, index, rows: undefined }, failures };
}

/**
 * The row at position `at` of the table's text, parsed alone; undefined when the record
 * found there is not the row `id` (the caller then parses the whole file).
 */
export function rowInText(content: TableContent, at: number, id: string): StoredRow | undefined {
  const span = recordSpans(content.text, new Set([at])).get(at);
  if (!span) return undefined;
  const row = parseRecord(content.text.slice(0, recordEnd(content.text, 0)) + content.text.slice(span[0], span[1]));
  return row?._row_id === id ? row : undefined;
}

/** One record as CSV text, without its line ending. */
function recordText(row: StoredRow, header: readonly string[]): string {
  return encodeRecord(row, header).map(quoteCell).join(",");
}

/** The row of a header record followed by one record, or undefined when it is not exactly one row. */
function parseRecord(text: string): StoredRow | undefined {
  try {
    const { rows } = parseCsv(text, { source: "box:record", backend: BACKEND_NAME });
    return rows.length === 1 ? rows[0] : undefined;
  } catch {
    return undefined;
  }
}
