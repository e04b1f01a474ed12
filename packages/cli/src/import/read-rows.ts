import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import { parse } from "csv-parse";
import { ROW_ID, type JsonValue, type Row, validateRowId } from "@themis/core";
import { decodeHeaderCell } from "@themis/csv-codec";
import { type ColumnTypes, cellValue, checkedValue } from "./column-types.js";

/** Formats `themis datasets import` reads. */
export type ImportFormat = "csv" | "jsonl";
export const IMPORT_FORMATS: readonly ImportFormat[] = ["csv", "jsonl"];

/** One record of the input: the row, or why its line is bad. `line` is 1-based (a CSV record spanning lines: its last). */
export type InputRecord = { line: number; row: Row; error?: undefined } | { line: number; row?: undefined; error: string };

/** Where the input is read from, and what to say about it. */
export interface ReadOptions {
  file: string;
  format: ImportFormat;
  types: ColumnTypes;
  /** Called with the bytes read so far (progress). */
  onBytes?: (bytes: number) => void;
}

function byteStream(options: ReadOptions): NodeJS.ReadableStream {
  const stream = createReadStream(options.file);
  let bytes = 0;
  stream.on("data", (chunk: Buffer | string) => {
    bytes += chunk.length;
    options.onBytes?.(bytes);
  });
  return stream;
}

// Checks every JSON value against the declared types, and the row's own id when it has one.
function checkedRow(row: Record<string, JsonValue>, types: ColumnTypes): Row {
  for (const [key, value] of Object.entries(row)) {
    try {
      checkedValue(types.get(key), value);
    } catch (error) {
      throw new Error(`column "${key}": ${(error as Error).message}`);
    }
  }
  if (ROW_ID in row) validateRowId(row[ROW_ID]);
  return row;
}

async function* jsonLines(options: ReadOptions): AsyncGenerator<InputRecord> {
  const lines = createInterface({ input: byteStream(options), crlfDelay: Infinity });
  let line = 0;
  for await (const text of lines) {
    line++;
    if (text.trim() === "") continue;
    try {
      const value = JSON.parse(text) as unknown;
      if (typeof value !== "object" || value === null || Array.isArray(value)) throw new Error("not a JSON object");
      yield { line, row: checkedRow(value as Record<string, JsonValue>, options.types) };
    } catch (error) {
      yield { line, error: (error as Error).message.replace(/^\[themis\] /, "") };
    }
  }
}

async function* csvRecords(options: ReadOptions): AsyncGenerator<InputRecord> {
  // Structural errors (an unclosed quote, a wrong field count) become bad records, so
  // --skip-bad can step over them; the parser goes on with the next record.
  const skipped: InputRecord[] = [];
  const parser = byteStream(options).pipe(
    parse({
      bom: true,
      info: true,
      skip_empty_lines: true,
      skip_records_with_error: true,
      on_skip: (error) => {
        if (error) skipped.push({ line: (error as { lines?: number }).lines ?? 0, error: error.message.replace(/^Invalid Record Length: /, "") });
        return undefined;
      },
    }),
  );
  let header: string[] | undefined;
  for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
    yield* skipped.splice(0);
    if (!header) {
      header = record.map(decodeHeaderCell);
      const seen = new Set<string>();
      for (const name of header) {
        if (name === "" || seen.has(name))
          yield { line: info.lines, error: name === "" ? "the header has an empty column name" : `the header names "${name}" twice` };
        seen.add(name);
      }
      continue;
    }
    try {
      const row: Record<string, JsonValue> = {};
      header.forEach((name, i) => {
        try {
          const value = cellValue(record[i] ?? "", options.types.get(name));
          if (value !== undefined) row[name] = value;
        } catch (error) {
          throw new Error(`column "${name}": ${(error as Error).message}`);
        }
      });
      if (ROW_ID in row) validateRowId(row[ROW_ID]);
      yield { line: info.lines, row };
    } catch (error) {
      yield { line: info.lines, error: (error as Error).message.replace(/^\[themis\] /, "") };
    }
  }
  yield* skipped.splice(0);
}

/** The records of a CSV (header first; cells as the CSV codec reads them) or JSON Lines file, streamed. */
export function readRecords(options: ReadOptions): AsyncGenerator<InputRecord> {
  return options.format === "csv" ? csvRecords(options) : jsonLines(options);
}
