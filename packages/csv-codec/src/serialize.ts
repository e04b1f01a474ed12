import { ROW_ID, type StoredRow } from "@themis/core";
import { encodeCell, encodeHeaderCell } from "./cell.js";

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
// The spaces are checked apart: a character class alone lets the regex engine scan fast,
// where the anchored alternatives (`|^ | $`) made it try each position (1.7x the time).
const NEEDS_QUOTES = /[",\r\n\ufeff]/;
const SPACE = 0x20;

/** One cell as CSV text (RFC 4180: quoted when needed, quotes inside doubled). */
export function quoteCell(cell: string): string {
  const n = cell.length;
  if (n === 0) return cell;
  const quote = cell.charCodeAt(0) === SPACE || cell.charCodeAt(n - 1) === SPACE || NEEDS_QUOTES.test(cell);
  return quote ? `"${cell.replaceAll('"', '""')}"` : cell;
}

function line(cells: readonly string[]): string {
  let out = quoteCell(cells[0] ?? "");
  for (let i = 1; i < cells.length; i++) out += `,${quoteCell(cells[i]!)}`;
  return out;
}

/**
 * `quoteCell(encodeCell(value))`, the same text, with the common cases decided without
 * building the intermediate cell: finite numbers, booleans and null never need quotes or a
 * marker (`String(n)` is what `JSON.stringify(n)` writes for a finite number), and a string
 * starting with a letter other than `t`, `f` or `n` never needs the marker.
 */
function cellText(value: StoredRow[string] | undefined): string {
  switch (typeof value) {
    case "number":
      if (Number.isFinite(value)) return String(value);
      break;
    case "boolean":
      return value ? "true" : "false";
    case "string": {
      const first = value.charCodeAt(0);
      // A-Z, a-z except t, f, n: no formula, no marker, no JSON text starts so.
      const plain = (first >= 0x41 && first <= 0x5a) || (first >= 0x61 && first <= 0x7a && first !== 0x74 && first !== 0x66 && first !== 0x6e);
      return quoteCell(plain ? value : encodeCell(value));
    }
    case "object":
      if (value === null) return "null";
      break;
  }
  return quoteCell(encodeCell(value));
}

/** One CSV line (without its newline) for `row` under `header`: `line(encodeRecord(row, header))`. */
function recordLine(row: StoredRow, header: readonly string[]): string {
  let out = "";
  for (let i = 0; i < header.length; i++) {
    const column = header[i] as string;
    const cell = column === ROW_ID ? quoteCell(row._row_id) : Object.hasOwn(row, column) ? cellText(row[column]) : "";
    out = i === 0 ? cell : `${out},${cell}`;
  }
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
  for (const row of rows) out += recordLine(row, header) + newline;
  return out;
}
