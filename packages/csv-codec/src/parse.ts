import Papa from "papaparse";
import { ROW_ID, type StoredRow } from "@themis/core";
import { RecordDecoder } from "./record.js";

/** Options of {@link parseCsv} and {@link parseCsvStream}. */
export interface ParseOptions {
  /** The file or URL the text comes from: named in every error with the line number. */
  source: string;
  /** Backend name for the error prefix. */
  backend?: string | undefined;
  /**
   * The decoded header, when the text is a part of a file that starts after the header
   * row (e.g. bytes appended since a known offset). Default: the text starts with it.
   */
  header?: readonly string[] | undefined;
  /** Line number of the text's first line in its file (default 1), for error messages. */
  firstLine?: number | undefined;
  /** The line ending, when known. Default: detected from the first line. */
  newline?: "\n" | "\r\n" | undefined;
}

/** A parsed CSV table. */
export interface ParsedCsv {
  /** Column names (decoded), `_row_id` among them. Empty text gives `["_row_id"]`. */
  header: string[];
  rows: StoredRow[];
  /** The line ending the file uses (from its first line); "\n" for empty text. */
  newline: "\n" | "\r\n";
}

/** Papaparse options shared by every reader: fixed dialect, never guessed. */
export const PAPA_PARSE_CONFIG = { delimiter: ",", quoteChar: '"', escapeChar: '"', header: false, dynamicTyping: false, skipEmptyLines: false } as const;

/** The line ending a CSV text uses, judged from the end of its first line. */
export function detectNewline(text: string): "\n" | "\r\n" {
  const i = text.indexOf("\n");
  return i > 0 && text[i - 1] === "\r" ? "\r\n" : "\n";
}

/**
 * Parse CSV text written by {@link serializeRows} (or edited in a spreadsheet) back into
 * rows. Throws {@link CsvFormatError} (code `ERR_THEMIS_CORRUPT_DATA`) naming the source
 * and line for: an unclosed or misplaced quote, a record with more or fewer cells than the
 * header, a missing or duplicate `_row_id`, a header without `_row_id` or with a
 * duplicate column, and a torn last line (text that does not end with a newline: a write
 * cut short). Blank lines are skipped.
 */
export function parseCsv(text: string, options: ParseOptions): ParsedCsv {
  const decoder = new RecordDecoder(options);
  if (text === "") return { header: options.header ? [...options.header] : [ROW_ID], rows: [], newline: options.newline ?? "\n" };
  const newline = options.newline ?? detectNewline(text);
  const result = Papa.parse<string[]>(text, { ...PAPA_PARSE_CONFIG, newline });
  const issuesByRecord = new Map<number, { code: string; message: string }[]>();
  for (const e of result.errors) {
    const list = issuesByRecord.get(e.row ?? -1) ?? [];
    list.push({ code: e.code, message: e.message });
    issuesByRecord.set(e.row ?? -1, list);
  }
  const records = result.data;
  const torn = !text.endsWith("\n");
  // Text ending with a newline yields a last, empty record: it is not a line of the file
  // (unless a quote left open swallowed the rest of the text into that record).
  const last = records.at(-1);
  const trailingEmpty = !torn && last?.length === 1 && last[0] === "" && !issuesByRecord.has(records.length - 1);
  const count = trailingEmpty ? records.length - 1 : records.length;
  const rows: StoredRow[] = [];
  for (let i = 0; i < count; i++) {
    const record = records[i]!;
    if (torn && i === count - 1) {
      const issues = issuesByRecord.get(i) ?? [];
      // An unclosed quote at the very end is reported as such; anything else unterminated is torn.
      if (issues.some((x) => x.code === "MissingQuotes")) decoder.push(record, issues);
      throw decoder.error("torn-line", "the last line is incomplete (no line ending): a write was interrupted, or the file was saved without a final newline");
    }
    const row = decoder.push(record, issuesByRecord.get(i));
    if (row) rows.push(row);
  }
  if (decoder.header === undefined) throw decoder.error("bad-header", "the file has no header row");
  return { header: decoder.header, rows, newline };
}
