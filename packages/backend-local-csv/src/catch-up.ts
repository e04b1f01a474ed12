// Bringing a writer's view of the file up to date: what other writers appended since it last
// looked is read, checked and indexed; a torn or hand-typed last line is repaired.
import { CorruptDataError, ROW_ID, type StoredRow } from "@themis/core";
import { CsvFormatError, parseCsv, parseCsvStream } from "@themis/csv-codec";
import { countIds } from "./confirm-ids.js";
import { writeAllSync } from "./durable-fs.js";
import { BACKEND_NAME } from "./names.js";
import { RecordBoundaryScanner, findRecordBoundary, type RecordBoundary } from "./record-boundary.js";
import { moveAside, readFully } from "./tail-repair.js";
import { REWRITE_BATCH, type WriterState } from "./writer-state.js";
import { readRange } from "./read-range.js";

// Catch-up ranges up to this size are read and parsed in one piece; larger ones stream.
const CATCH_UP_IN_MEMORY_LIMIT = 8 * 1024 * 1024;

/**
 * Read what other writers appended in `[state.size, to)`: check it, index its ids,
 * repair a torn tail. Usually a few rows (or the whole file once), parsed in memory.
 */
export async function catchUp(state: WriterState, to: number, path: string): Promise<void> {
  const from = state.size;
  if (to - from > CATCH_UP_IN_MEMORY_LIMIT) return catchUpStreaming(state, to, path);
  const bytes = Buffer.allocUnsafe(to - from);
  await readFully(state.handle, bytes, from);
  const scanner = new RecordBoundaryScanner(from);
  scanner.feed(bytes);
  const found = scanner.result;
  if (found.boundary > from) {
    const parsed = parseCsv(bytes.toString("utf8", 0, found.boundary - from), {
      source: path,
      backend: BACKEND_NAME,
      header: state.header,
      firstLine: state.lines + 1,
      newline: from === 0 ? undefined : state.newline,
    });
    const maybe = new Set<string>();
    indexIds(state, parsed.rows, maybe);
    if (from === 0) state.newline = parsed.newline;
    state.header = parsed.header;
    state.size = found.boundary;
    state.lines += found.lines;
    await refuseDuplicates(state, maybe, path);
  }
  if (found.boundary < to && (await tornTail(state, bytes.subarray(found.boundary - from), state.lines + 1, found.boundary, path))) {
    await catchUp(state, to + state.newline.length, path);
  }
}

/** {@link catchUp} for large ranges (the first write to a big table): streamed, memory flat. */
async function catchUpStreaming(state: WriterState, to: number, path: string): Promise<void> {
  const from = state.size;
  const found = await findRecordBoundary(state.handle, from, to);
  if (found.boundary > from) await parseRange(state, found, path);
  if (found.boundary < to) {
    const fragment = Buffer.allocUnsafe(to - found.boundary);
    await readFully(state.handle, fragment, found.boundary);
    if (await tornTail(state, fragment, state.lines + 1, found.boundary, path)) await catchUp(state, to + state.newline.length, path);
  }
}

/** Parse and index `[state.size, found.boundary)`, streamed. */
async function parseRange(state: WriterState, found: RecordBoundary, path: string): Promise<void> {
  const from = state.size;
  if (from === 0) state.newline = found.crlf ? "\r\n" : "\n";
  let header = state.header;
  const stream = readRange(state.handle, from, found.boundary);
  const rows = parseCsvStream(stream, {
    source: path,
    backend: BACKEND_NAME,
    header: state.header,
    firstLine: state.lines + 1,
    newline: state.newline,
    onHeader: (h) => (header = h),
  });
  const batch: StoredRow[] = [];
  const maybe = new Set<string>();
  for await (const row of rows) {
    batch.push(row);
    if (batch.length >= REWRITE_BATCH) indexIds(state, batch.splice(0), maybe);
  }
  indexIds(state, batch, maybe);
  state.header = header;
  state.size = found.boundary;
  state.lines += found.lines;
  await refuseDuplicates(state, maybe, path);
}

/** Add the ids of rows read from the file; fingerprint hits go to `maybe`, for {@link refuseDuplicates}. */
function indexIds(state: WriterState, rows: readonly StoredRow[], maybe: Set<string>): void {
  for (const row of rows) {
    if (state.ids.has(row._row_id) === "maybe") maybe.add(row._row_id);
    state.ids.add(row._row_id);
  }
}

/** The file (up to `state.size`) must not hold any of `maybe` twice. */
async function refuseDuplicates(state: WriterState, maybe: ReadonlySet<string>, path: string): Promise<void> {
  if (maybe.size === 0) return;
  for (const [id, count] of await countIds(state.handle, state.size, path, maybe)) {
    if (count > 1) throw new CorruptDataError(`${path}: ${ROW_ID} "${id}" appears on two lines; remove one of them`, { backend: BACKEND_NAME });
  }
}

/**
 * The file ends inside a record (`fragment`, starting at `offset` on `line`), and no
 * lock explained it (a killed writer's bytes past its committed length are gone by now).
 * A file that ends with a newline but leaves a quote open was edited by hand: report it
 * and touch nothing. A last line that is a whole record but lacks its line ending (typed
 * by hand) gets one: returns true, the caller reads it. Anything else is a write cut
 * short (a file copied mid-write, an older version): moved aside.
 */
async function tornTail(state: WriterState, fragment: Buffer, line: number, offset: number, path: string): Promise<boolean> {
  if (fragment.at(-1) === 0x0a) {
    throw new CsvFormatError("unclosed-quote", path, line, 'a quoted cell is opened but never closed (a `"` is missing); fix the file by hand', {
      backend: BACKEND_NAME,
    });
  }
  if (isWholeRecord(state, fragment, line, path)) {
    writeAllSync(state.handle.fd, Buffer.from(state.newline));
    process.emitWarning(`[themis] [${BACKEND_NAME}] ${path}, line ${line}: the last line had no line ending (typed by hand?); one was added`, {
      code: "THEMIS_LINE_ENDED",
      type: "ThemisWarning",
    });
    return true;
  }
  await moveTornTail(fragment, offset, line, path);
  return false;
}

function isWholeRecord(state: WriterState, fragment: Buffer, line: number, path: string): boolean {
  const ended = Buffer.concat([fragment, Buffer.from(state.newline)]);
  const scanner = new RecordBoundaryScanner(0);
  scanner.feed(ended);
  if (scanner.result.boundary !== ended.length) return false; // a quoted cell left open: cut short
  try {
    const text = ended.toString("utf8");
    const parsed = parseCsv(text, { source: path, backend: BACKEND_NAME, header: state.header, firstLine: line, newline: state.newline });
    return parsed.rows.length === (state.header ? 1 : 0) && state.ids.has(parsed.rows[0]?._row_id ?? "") === "no";
  } catch {
    return false;
  }
}

/**
 * A write was cut short (the process was killed mid-write, or the disk filled): the file
 * ends inside a record. That record was never acknowledged to anyone, but rather than
 * drop it the bytes are moved to `<table>.csv.torn` (one fragment per line) and a
 * warning names them.
 */
async function moveTornTail(fragment: Buffer, boundary: number, line: number, path: string): Promise<void> {
  await moveAside(path, fragment, boundary);
  process.emitWarning(
    `[themis] [${BACKEND_NAME}] ${path}, line ${line}: the last line was incomplete (an interrupted write); its ${fragment.length} bytes were moved to ${path}.torn`,
    { code: "THEMIS_TORN_LINE", type: "ThemisWarning" },
  );
}
