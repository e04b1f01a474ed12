/** Options of {@link formatTable}. */
export interface TableFormat {
  /** Longest a cell may be before it is cut with "…". Default 40. */
  maxCellWidth?: number;
}

// Visible width: tabs and newlines would break the grid, so they are shown escaped.
function cell(value: string, max: number): string {
  const flat = value.replace(/\r?\n/g, "\\n").replace(/\t/g, "\\t");
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** A plain-text table: a header row, a rule, one line per row, columns padded to fit. */
export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[], format: TableFormat = {}): string {
  const max = format.maxCellWidth ?? 40;
  const cells = rows.map((r) => headers.map((_, i) => cell(r[i] ?? "", max)));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i]!.length)));
  const line = (r: readonly string[]): string => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join("  ").trimEnd();
  return [line(headers), line(widths.map((w) => "-".repeat(w))), ...cells.map(line)].join("\n");
}

/** How a JSON value reads in a table cell: strings as they are, the rest as JSON. */
export function cellText(value: unknown): string {
  if (value === undefined) return "";
  if (typeof value === "string") return value;
  return JSON.stringify(value);
}
