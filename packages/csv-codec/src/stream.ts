import { Readable } from "node:stream";
import { StringDecoder } from "node:string_decoder";
import Papa from "papaparse";
import { ROW_ID, type StoredRow } from "@themis/core";
import { PAPA_PARSE_CONFIG, type ParseOptions } from "./parse.js";
import { RecordDecoder, type RecordParseIssue } from "./record.js";
import { LineEndingNormaliser } from "./line-endings.js";

/** Options of {@link parseCsvStream}. */
export interface StreamParseOptions extends ParseOptions {
  /**
   * Reject a `_row_id` seen earlier in the stream. Default false: remembering every id
   * would make memory grow with the table, which streaming exists to avoid.
   */
  detectDuplicateIds?: boolean;
  /** Called once with the decoded header, before the first row. */
  onHeader?: (header: readonly string[]) => void;
}

type Chunk = string | Buffer | Uint8Array;

// Records parsed ahead of the consumer before papaparse is paused.
const HIGH_WATER = 512;

/**
 * Parse CSV incrementally from a byte or text stream (a file read stream, an HTTP body),
 * yielding rows in file order while memory stays flat: papaparse is paused while the
 * consumer is behind. Checks the same structure as {@link parseCsv} (except duplicate ids,
 * unless asked) and throws the same {@link CsvFormatError}s, after yielding the rows
 * before the bad line. Breaking out of the loop stops reading and destroys the stream.
 */
export async function* parseCsvStream(input: AsyncIterable<Chunk>, options: StreamParseOptions): AsyncGenerator<StoredRow> {
  const decoder = new RecordDecoder({
    source: options.source,
    backend: options.backend,
    detectDuplicateIds: options.detectDuplicateIds ?? false,
    header: options.header,
    firstLine: options.firstLine,
  });
  const text = new StringDecoder("utf8");
  const iterator = input[Symbol.asyncIterator]();
  let lastChar = "";

  // Read the first line (or the input) to see whether the text is empty or starts with a BOM.
  let head = "";
  for (;;) {
    const next = await iterator.next();
    if (next.done) {
      head += text.end();
      break;
    }
    head += typeof next.value === "string" ? next.value : text.write(next.value as Buffer);
    if (head.includes("\n")) break;
  }
  // A byte order mark (Excel's "CSV UTF-8") is not part of the first column's name: the
  // same as parseCsv, so every reader of a table sees one header.
  if (head.charCodeAt(0) === 0xfeff && !options.header) head = head.slice(1);
  if (head === "") {
    await iterator.return?.();
    options.onHeader?.(options.header ?? [ROW_ID]);
    return;
  }
  // Every record-ending "\r\n" becomes "\n" on the way (quoted cells untouched): papaparse
  // splits on one newline only, and a stream cannot be checked for mixed endings up front.
  const normaliser = new LineEndingNormaliser();
  const newline = "\n";

  async function* textChunks(): AsyncGenerator<string> {
    const emit = (s: string): string => {
      if (s.length > 0) lastChar = s.at(-1)!;
      return s;
    };
    const first = normaliser.push(head);
    if (first.length > 0) yield emit(first);
    for (;;) {
      const next = await iterator.next();
      if (next.done) break;
      const s = normaliser.push(typeof next.value === "string" ? next.value : text.write(next.value as Buffer));
      if (s.length > 0) yield emit(s);
    }
    const rest = normaliser.push(text.end()) + normaliser.end();
    if (rest.length > 0) yield emit(rest);
  }
  const source = Readable.from(textChunks(), { objectMode: true });

  type Parsed = { cells: string[]; issues: RecordParseIssue[] };
  const queue: Parsed[] = [];
  let finished = false;
  let failure: unknown;
  let wake: (() => void) | undefined;
  let parser: Papa.Parser | undefined;
  let paused = false;
  const notify = (): void => {
    wake?.();
    wake = undefined;
  };

  Papa.parse<string[], NodeJS.ReadableStream>(source, {
    ...PAPA_PARSE_CONFIG,
    newline,
    step(results: Papa.ParseStepResult<string[]>, p: Papa.Parser) {
      parser = p;
      queue.push({ cells: results.data, issues: results.errors.map((e) => ({ code: e.code, message: e.message })) });
      if (queue.length >= HIGH_WATER && !paused) {
        paused = true;
        p.pause();
        // papaparse's pause stops parsing but not its input: chunks would pile up in its own
        // queue (the whole file, for a slow consumer). Stop the input too.
        source.pause();
      }
      notify();
    },
    complete() {
      finished = true;
      notify();
    },
    error(error: Error) {
      failure = error;
      finished = true;
      notify();
    },
  });

  let held: Parsed | undefined;
  let headerSent = false;
  if (options.header) {
    headerSent = true;
    options.onHeader?.(decoder.header!);
  }
  try {
    for (;;) {
      if (queue.length === 0) {
        if (finished) break;
        if (paused) {
          paused = false;
          source.resume();
          parser?.resume();
        }
        if (queue.length === 0 && !finished) await new Promise<void>((resolve) => (wake = resolve));
        continue;
      }
      const next = queue.shift()!;
      // Hold one record back: only at the end do we know whether the last one is torn.
      const current = held;
      held = next;
      if (!current) continue;
      const row = decoder.push(current.cells, current.issues);
      if (!headerSent && decoder.header) {
        headerSent = true;
        options.onHeader?.(decoder.header);
      }
      if (row) yield row;
    }
    // Reading the input failed (I/O error, aborted download): not a CSV problem, pass it on.
    if (failure) throw failure;
    if (held) {
      if (lastChar !== "\n") {
        if (held.issues.some((x) => x.code === "MissingQuotes")) decoder.push(held.cells, held.issues);
        throw decoder.error(
          "torn-line",
          "the last line is incomplete (no line ending): a write was interrupted, or the file was saved without a final newline",
        );
      }
      const row = decoder.push(held.cells, held.issues);
      if (!headerSent && decoder.header) {
        headerSent = true;
        options.onHeader?.(decoder.header);
      }
      if (row) yield row;
    }
    if (!decoder.header) throw decoder.error("bad-header", "the file has no header row");
  } finally {
    if (!finished) {
      parser?.abort();
      source.destroy();
    }
    await iterator.return?.();
  }
}
