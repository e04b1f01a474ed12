import { ROW_ID, type JsonValue, type StoredRow } from "@themis/core";
import { decodeCell, decodeHeaderCell, encodeCell } from "./cell.js";
import { CsvFormatError, type CsvProblem } from "./format-error.js";

/**
 * The cells of one CSV record for `row`, in `header` order. `_row_id` is written as-is (ids
 * are plain strings of letters, digits and `_ . : -`, so they need no marker and stay
 * readable, as in Ragas' files); every other column goes through {@link encodeCell}.
 */
export function encodeRecord(row: StoredRow, header: readonly string[]): string[] {
  const cells = new Array<string>(header.length);
  for (let i = 0; i < header.length; i++) {
    const column = header[i]!;
    if (column === ROW_ID) cells[i] = row._row_id;
    else cells[i] = Object.hasOwn(row, column) ? encodeCell(row[column]) : "";
  }
  return cells;
}

/** Where a {@link RecordDecoder} reports problems. */
export interface RecordDecoderOptions {
  /** The file or URL being read; named in every error. */
  source: string;
  /** Backend name for the error prefix (`[themis] [local/csv] ...`). */
  backend?: string | undefined;
  /**
   * Reject a `_row_id` seen before in the file (default true). Costs memory per row, so
   * streaming readers that must stay flat turn it off.
   */
  detectDuplicateIds?: boolean;
  /**
   * The (decoded) header, when decoding a part of a file that starts after it: the
   * first record pushed is then a data row. Default: the first record is the header.
   */
  header?: readonly string[] | undefined;
  /** Line number of the first record pushed (default 1), when decoding a part of a file. */
  firstLine?: number | undefined;
}

/** A parse problem papaparse reported for the record being pushed. */
export interface RecordParseIssue {
  code: string;
  message: string;
}

function countNewlines(text: string): number {
  let n = 0;
  for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1)) n++;
  return n;
}

/**
 * Turns CSV records (arrays of cell texts, as papaparse yields them, header first) into
 * rows, checking the file's structure on the way and tracking line numbers so every
 * problem names the line it starts on. Used by {@link parseCsv} and
 * {@link parseCsvStream}; exported for readers that drive papaparse themselves.
 */
export class RecordDecoder {
  /** Column names, once the header record was pushed. */
  header: string[] | undefined;
  /** Number of data rows decoded so far. */
  rowCount = 0;
  readonly #options: RecordDecoderOptions;
  readonly #seen: Set<string> | undefined;
  #idColumn = -1;
  /** Line on which the next record starts (1-based). */
  #line = 1;

  constructor(options: RecordDecoderOptions) {
    this.#options = options;
    this.#seen = options.detectDuplicateIds === false ? undefined : new Set();
    this.#line = options.firstLine ?? 1;
    if (options.header) this.#setHeader([...options.header], this.#line);
  }

  /** Line on which the next record starts (1-based). */
  get line(): number {
    return this.#line;
  }

  /** A {@link CsvFormatError} about the record that starts on `line` (default: the next one). */
  error(problem: CsvProblem, detail: string, line = this.#line, cause?: unknown): CsvFormatError {
    return new CsvFormatError(problem, this.#options.source, line, detail, { backend: this.#options.backend, cause });
  }

  /**
   * Decode one record. Returns the row, or undefined for the header record and for blank
   * lines (which hold no data). Throws {@link CsvFormatError} for a malformed record.
   */
  push(cells: readonly string[], issues?: readonly RecordParseIssue[]): StoredRow | undefined {
    const line = this.#line;
    const count = cells.length;
    let newlines = 1;
    for (let i = 0; i < count; i++) {
      const cell = cells[i]!;
      if (cell.length > 0 && cell.includes("\n")) newlines += countNewlines(cell);
    }
    this.#line = line + newlines;

    if (issues !== undefined && issues.length > 0) this.#throwIssue(issues, line);

    const header = this.header;
    if (header === undefined) return this.#pushHeader(cells, line);
    if (count === 1 && cells[0] === "") return undefined;
    const width = header.length;
    if (count > width) throw this.error("too-many-cells", `${count} cells but the header has ${width} columns`, line);
    if (count < width) throw this.error("too-few-cells", `${count} cells but the header has ${width} columns`, line);
    const idColumn = this.#idColumn;
    const id = cells[idColumn]!;
    if (id === "") throw this.error("missing-row-id", `the ${ROW_ID} cell is empty`, line);
    const seen = this.#seen;
    if (seen !== undefined) {
      if (seen.has(id)) throw this.error("duplicate-row-id", `${ROW_ID} "${id}" already appears on an earlier line`, line);
      seen.add(id);
    }

    const row: Record<string, JsonValue> = {};
    for (let i = 0; i < width; i++) {
      if (i === idColumn) {
        row[ROW_ID] = id;
        continue;
      }
      const value = decodeCell(cells[i]!);
      if (value === undefined) continue;
      const column = header[i]!;
      // "__proto__" is a legal JSON key; plain assignment would set the prototype instead.
      if (column === "__proto__") Object.defineProperty(row, column, { value, enumerable: true, writable: true, configurable: true });
      else row[column] = value;
    }
    this.rowCount++;
    return row as StoredRow;
  }

  #throwIssue(issues: readonly RecordParseIssue[], line: number): void {
    for (const issue of issues) {
      if (issue.code === "MissingQuotes") throw this.error("unclosed-quote", 'a quoted cell is opened but never closed (a `"` is missing)', line);
      if (issue.code === "InvalidQuotes")
        throw this.error("malformed-quote", 'a quoted cell is followed by text before the next comma (write `""` for a quote inside a quoted cell)', line);
      if (issue.code !== "UndetectableDelimiter") throw this.error("malformed-quote", issue.message, line);
    }
  }

  #pushHeader(cells: readonly string[], line: number): undefined {
    this.#setHeader(cells.map(decodeHeaderCell), line);
    return undefined;
  }

  #setHeader(header: string[], line: number): void {
    const seen = new Set<string>();
    for (const name of header) {
      if (seen.has(name)) throw this.error("bad-header", `column "${name}" appears twice in the header`, line);
      seen.add(name);
    }
    this.#idColumn = header.indexOf(ROW_ID);
    if (this.#idColumn === -1) throw this.error("bad-header", `the header has no ${ROW_ID} column`, line);
    this.header = header;
  }
}
