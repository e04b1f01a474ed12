import Papa from "papaparse";
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

/**
 * CSV text for `rows` under `header` (see {@link headerFor}): one line per record, each
 * ending with the newline, cells quoted only where CSV needs it. Every key of every row
 * must be in `header`.
 */
export function serializeRows(header: readonly string[], rows: readonly StoredRow[], options: SerializeOptions = {}): string {
  const newline = options.newline ?? "\n";
  const data = rows.map((row) => encodeRecord(row, header));
  if (options.includeHeader !== false) data.unshift(header.map(encodeHeaderCell));
  if (data.length === 0) return "";
  // quoteChar/escapeChar defaults ('"' doubled) are RFC 4180; formula escaping is done by the
  // cell encoding itself (papaparse's escapeFormulae would change values on the way back).
  return Papa.unparse(data, { newline, delimiter: ",", header: false, skipEmptyLines: false }) + newline;
}
