import type { StoredRow } from "@themis/core";
import { encodeHeaderCell } from "./cell.js";
import { encodeRecord } from "./record.js";

/** Options of {@link serializeRows}. */
export interface SerializeOptions {
  /** Write the header row first (default true). Appending to an existing file: false. */
  includeHeader?: boolean;
  /** Line ending (default "\n"). Use the file's own when appending to a file edited elsewhere. */
  newline?: "\n" | "\r\n";
}

// Papaparse's own rule for when a cell needs quotes (Papa.unparse with quotes: false): it
// holds the delimiter, a quote, a line break or a byte-order mark, or starts or ends with a
// space. Applied here directly: the cells are already strings, and papaparse's generic
// unparse (type checks, formula escaping, per-cell config lookups) was half the cost of an
// append. The round trip through papaparse's parser is covered by the property tests.
const NEEDS_QUOTES = /[",\r\n\ufeff]|^ | $/;

/** One cell as CSV text (RFC 4180: quoted when needed, quotes inside doubled). */
export function quoteCell(cell: string): string {
  return NEEDS_QUOTES.test(cell) ? `"${cell.replaceAll('"', '""')}"` : cell;
}

function line(cells: readonly string[]): string {
  let out = quoteCell(cells[0] ?? "");
  for (let i = 1; i < cells.length; i++) out += `,${quoteCell(cells[i]!)}`;
  return out;
}

/**
 * CSV text for `rows` under `header` (see {@link headerFor}): one line per record, each
 * ending with the newline, cells quoted only where CSV needs it. Every key of every row
 * must be in `header`.
 */
export function serializeRows(header: readonly string[], rows: readonly StoredRow[], options: SerializeOptions = {}): string {
  const newline = options.newline ?? "\n";
  let out = options.includeHeader === false ? "" : line(header.map(encodeHeaderCell)) + newline;
  for (const row of rows) out += line(encodeRecord(row, header)) + newline;
  return out;
}
