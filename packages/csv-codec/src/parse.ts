import Papa from "papaparse";
import { ROW_ID, type StoredRow } from "@themis/core";
import { RecordDecoder, type RecordParseIssue } from "./record.js";
import { mayMixLineEndings, normaliseLineEndings } from "./line-endings.js";

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
  /**
   * The line ending, when known. Default: detected from the first line. Lines that end
   * the other way (a line added by hand) are read all the same.
   */
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
 * cut short). Blank lines are skipped. Lines may end in `\n` or `\r\n`, mixed.
 */
export function parseCsv(text: string, options: ParseOptions): ParsedCsv {
  // A byte order mark (Excel's "CSV UTF-8") is not part of the first column's name.
  if (text.charCodeAt(0) === 0xfeff && !options.header) text = text.slice(1);
  const decoder = new RecordDecoder(options);
  if (text === "") return { header: options.header ? [...options.header] : [ROW_ID], rows: [], newline: options.newline ?? "\n" };
  const newline = options.newline ?? detectNewline(text);
  // Mixed line endings: papaparse splits on one newline only. Consistent files (a cheap
  // scan tells) keep the fast path; the others are normalised first, quotes respected.
  let parseNewline = newline;
  if (mayMixLineEndings(text, newline)) {
    text = normaliseLineEndings(text);
    parseNewline = "\n";
  }
  const rows: StoredRow[] = [];
  // Records are decoded chunk by chunk, so papaparse's arrays of cells die young instead of
  // all living next to the rows (half the peak memory, far less GC on large tables). One
  // record is held back: only the last one can be torn or be the empty one after the final newline.
  let held: { cells: string[]; issues: RecordParseIssue[] | undefined } | undefined;
  Papa.parse<string[]>(text, {
    ...PAPA_PARSE_CONFIG,
    newline: parseNewline,
    chunkSize: PARSE_CHUNK_CHARS,
    chunk(results: Papa.ParseResult<string[]>) {
      let issuesByRecord: Map<number, RecordParseIssue[]> | undefined;
      for (const e of results.errors) {
        issuesByRecord ??= new Map();
        const list = issuesByRecord.get(e.row ?? -1) ?? [];
        list.push({ code: e.code, message: e.message });
        issuesByRecord.set(e.row ?? -1, list);
      }
      const records = results.data;
      for (let i = 0; i < records.length; i++) {
        if (held) {
          const row = decoder.push(held.cells, held.issues);
          if (row) rows.push(row);
        }
        held = { cells: records[i]!, issues: issuesByRecord?.get(i) };
      }
    },
    complete: () => undefined, // string input is parsed synchronously: done when parse returns
  });
  if (held) {
    const issues = held.issues ?? [];
    if (!text.endsWith("\n")) {
      // An unclosed quote at the very end is reported as such; anything else unterminated is torn.
      if (issues.some((x) => x.code === "MissingQuotes")) decoder.push(held.cells, issues);
      throw decoder.error("torn-line", "the last line is incomplete (no line ending): a write was interrupted, or the file was saved without a final newline");
    }
    // Text ending with a newline yields a last, empty record: it is not a line of the file
    // (unless a quote left open swallowed the rest of the text into that record).
    const trailingEmpty = held.cells.length === 1 && held.cells[0] === "" && issues.length === 0;
    if (!trailingEmpty) {
      const row = decoder.push(held.cells, issues);
      if (row) rows.push(row);
    }
  }
  if (decoder.header === undefined) throw decoder.error("bad-header", "the file has no header row");
  return { header: decoder.header, rows, newline };
}

// Characters of text papaparse parses per chunk in parseCsv.
const PARSE_CHUNK_CHARS = 1 << 20;
