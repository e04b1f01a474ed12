/** Options of {@link formatTable}. */
export interface TableFormat {
  /** Longest a cell may be before it is cut with "…". Default 40. */
  maxCellWidth?: number;
}

// C0 and C1 controls and DEL (ESC starts terminal escape sequences: colours, OSC 8 links,
// window titles, clipboard writes), plus the bidi overrides that reorder what is shown.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point (they are escaped before printing)
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;
const NAMED: Record<string, string> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };

/**
 * Text safe to print on a terminal: every control character is shown escaped (`\n`, `\t`,
 * `\x1b`, `\u202e`) instead of being interpreted, so a cell value can neither break the
 * grid nor drive the terminal.
 */
export function printable(text: string): string {
  return text.replace(CONTROL, escapeControl);
}

function escapeControl(c: string): string {
  const code = c.charCodeAt(0);
  return NAMED[c] ?? (code <= 0xff ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u${code.toString(16)}`);
}

function cell(value: string, max: number): string {
  const flat = printable(value);
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** A plain-text table: a header row, a rule, one line per row, columns padded to fit. */
export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[], format: TableFormat = {}): string {
  const max = format.maxCellWidth ?? 40;
  const cells = rows.map((r) => headers.map((_, i) => cell(r[i] ?? "", max)));
  const shown = headers.map(printable);
  const widths = shown.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i]!.length)));
  const line = (r: readonly string[]): string =>
    r
      .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd();
  return [line(shown), line(widths.map((w) => "-".repeat(w))), ...cells.map(line)].join("\n");
}

/** How a JSON value reads in a table cell: strings as they are, the rest as JSON. */
export function cellText(value: unknown): string {
  if (value === undefined) return "";
  if (typeof value === "string") return value;
  return JSON.stringify(value);
}
